"""Which files a batch uploads: the paths named on the command line, the regular files under
the directories among them (with `recursive`), filtered by include and exclude patterns.

A path named explicitly is taken as given, even a symbolic link; links met while walking a
directory are skipped unless `follow_symlinks` (then a directory reached twice, as a link loop
does, is walked once). Devices, sockets and pipes under a directory are skipped. A file reached
twice (named twice, or inside two named directories) is uploaded once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from .errors import ConfigurationError


@dataclass(frozen=True)
class FoundFile:
    path: str  # as reached from the argument: what the user recognises
    relative: str  # below the directory argument (POSIX separators), or a file argument's name
    size: int


@dataclass
class Found:
    files: list[FoundFile] = field(default_factory=list)
    skipped_links: int = 0  # symbolic links under a directory, not followed
    skipped_special: int = 0  # devices, sockets, pipes under a directory
    excluded: int = 0  # regular files the patterns left out

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def matches(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a glob matches the relative path; a pattern without "/" also matches the file's
    name at any depth (as in .gitignore): `*.csv` takes every CSV, `2026/*.csv` one folder's."""
    name = PurePosixPath(relative).name
    return any(
        fnmatchcase(relative, pattern) or ("/" not in pattern and fnmatchcase(name, pattern))
        for pattern in patterns
    )


def find_files(
    paths: Iterable[str],
    *,
    recursive: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
) -> Found:
    """Every file to upload, in the order given and, within a directory, by name (its own
    files before its subdirectories', as `os.walk` goes). A missing
    path or a directory without `recursive` is a ConfigurationError, before anything is sent."""
    found = Found()
    seen: set[tuple[int, int]] = set()

    def take(path: str, relative: str, info: os.stat_result) -> None:
        if (include and not matches(relative, include)) or matches(relative, exclude):
            found.excluded += 1
            return
        if (info.st_dev, info.st_ino) in seen:
            return
        seen.add((info.st_dev, info.st_ino))
        found.files.append(FoundFile(path, relative, info.st_size))

    for argument in paths:
        try:
            info = os.stat(argument)
        except FileNotFoundError:
            raise ConfigurationError(f"{argument}: no such file or directory") from None
        except OSError as err:
            raise ConfigurationError(f"{argument}: {err.strerror or err}") from None
        if stat.S_ISDIR(info.st_mode):
            if not recursive:
                raise ConfigurationError(
                    f"{argument} is a directory",
                    hint="pass `recursive` to upload the files it holds, at any depth",
                )
            _walk(argument, follow_symlinks, found, take)
        elif stat.S_ISREG(info.st_mode):
            take(argument, Path(argument).name, info)
        else:
            raise ConfigurationError(f"{argument} is not a regular file or a directory")
    return found


def _walk(
    top: str,
    follow_symlinks: bool,
    found: Found,
    take: Callable[[str, str, os.stat_result], None],
) -> None:
    walked: set[tuple[int, int]] = set()
    for directory, subdirectories, names in os.walk(top, followlinks=follow_symlinks):
        here = os.stat(directory)
        if (here.st_dev, here.st_ino) in walked:  # a link loop, or a directory linked twice
            subdirectories.clear()
            continue
        walked.add((here.st_dev, here.st_ino))
        subdirectories.sort()
        if not follow_symlinks:
            links = [d for d in subdirectories if os.path.islink(os.path.join(directory, d))]
            found.skipped_links += len(links)
        for name in sorted(names):
            path = os.path.join(directory, name)
            relative = PurePosixPath(*Path(os.path.relpath(path, top)).parts).as_posix()
            try:
                link = os.lstat(path)
                if stat.S_ISLNK(link.st_mode) and not follow_symlinks:
                    found.skipped_links += 1
                    continue
                info = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
            except OSError:  # gone since listed, or a dangling link
                found.skipped_special += 1
                continue
            if not stat.S_ISREG(info.st_mode):
                found.skipped_special += 1
                continue
            take(path, relative, info)
