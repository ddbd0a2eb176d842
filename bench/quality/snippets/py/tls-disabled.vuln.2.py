import ssl
import urllib.request


def fetch(url: str) -> bytes:
    ctx = ssl._create_unverified_context()
    return urllib.request.urlopen(url, context=ctx).read()
