"""Build the Lambda zip deterministically: same sources, same bytes, same source_code_hash.

Entries are sorted, timestamps and modes fixed, bytecode caches left out, and the data
stored uncompressed so the result does not depend on the machine's zlib build either.
"""

from __future__ import annotations

import argparse
import hashlib
import zipfile
from pathlib import Path

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16


def source_files(source_dir: Path) -> list[Path]:
    paths = (path for path in source_dir.rglob("*.py") if "__pycache__" not in path.parts)
    return sorted(paths, key=lambda path: path.relative_to(source_dir).as_posix())


def build(source_dir: Path, output: Path) -> str:
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in source_files(source_dir):
            info = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), FIXED_TIMESTAMP)
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, so the mode bits are honoured
            archive.writestr(info, path.read_bytes())
    return hashlib.sha256(output.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source_dir", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    print(f"{build(args.source_dir, args.output)}  {args.output}")


if __name__ == "__main__":
    main()
