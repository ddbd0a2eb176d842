import os

from flask import request


def read_report() -> str:
    path = os.path.join("/data/reports", request.args.get("file", ""))
    with open(path) as fh:
        return fh.read()
