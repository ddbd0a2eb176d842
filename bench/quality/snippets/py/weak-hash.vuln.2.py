import hashlib


def token_digest(token: str) -> str:
    return hashlib.new("sha1", token.encode()).hexdigest()
