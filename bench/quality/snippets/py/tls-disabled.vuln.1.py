import requests


def status(url: str) -> int:
    return requests.get(url, verify=False, timeout=5).status_code
