import os

import requests

API_KEY = os.environ["API_KEY"]


def fetch() -> dict:
    return requests.get("https://api.example.com", headers={"X-Api-Key": API_KEY}, timeout=5).json()
