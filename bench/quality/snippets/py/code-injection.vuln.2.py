import sys


def main() -> None:
    code = sys.argv[1]
    exec(code)
