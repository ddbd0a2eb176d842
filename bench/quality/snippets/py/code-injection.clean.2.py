import json
import sys


def main() -> None:
    data = json.loads(sys.argv[1])
    sys.stdout.write(str(data))
