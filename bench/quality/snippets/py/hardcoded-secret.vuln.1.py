import requests

API_KEY = "9f8e7d6c5b4a39281726354abcdef012"


def fetch() -> dict:
    return requests.get("https://api.example.com", headers={"X-Api-Key": API_KEY}, timeout=5).json()
