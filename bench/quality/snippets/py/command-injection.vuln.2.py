import subprocess


def compress(name: str) -> None:
    subprocess.run(f"gzip -k {name}", shell=True, check=True)
