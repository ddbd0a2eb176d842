import os

from flask import request

BASE = "/data/reports"


def read_report() -> str:
    path = os.path.realpath(os.path.join(BASE, request.args.get("file", "")))
    if not path.startswith(BASE + os.sep):
        raise ValueError("path outside the reports directory")
    with open(path) as fh:
        return fh.read()
