import os

from flask import request


def ping() -> int:
    return os.system("ping -c 1 " + request.args["host"])
