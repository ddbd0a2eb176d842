import subprocess
import sys


def grep() -> bytes:
    pattern = sys.argv[1]
    return subprocess.check_output("grep -r %s /var/log" % pattern, shell=True)
