import requests


def status(url: str) -> int:
    return requests.get(url, verify="/etc/ssl/certs/internal-ca.pem", timeout=5).status_code
