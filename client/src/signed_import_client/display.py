"""Progress as a person sees it: a bar with bytes, rate and ETA on a terminal, a plain line every
few seconds in a log, nothing at all when asked to be quiet. Everything goes to stderr; stdout
is kept for the result."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import (
    Progress as RichProgress,
)

from .plan import human_size
from .results import Progress


def eta(seconds: float) -> str:
    """Seconds as H:MM:SS."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def describe_start(event: Progress) -> str:
    if event.method == "PUT":
        return f"import {event.import_id}: {human_size(event.total)} in one PUT"
    part_size = human_size(event.part_size) if event.part_size else "?"
    text = (
        f"import {event.import_id}: {human_size(event.total)} in {event.part_count} parts "
        f"of {part_size}"
    )
    if event.parts_done:
        text += f", {event.parts_done} already stored (resuming)"
    return text


def describe_completing(event: Progress) -> str:
    """After the last part: S3 assembles the object, which takes a while for large files."""
    return f"all {event.part_count} parts stored; S3 is assembling {human_size(event.total)}"


class LineProgress:
    """For logs and pipes: the start, then a line every `interval` seconds, then the end."""

    def __init__(self, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._started = 0.0
        self._first_done = 0
        self._last_line = 0.0
        self._finished = False

    def __call__(self, event: Progress) -> None:
        now = time.monotonic()
        if event.event == "started":
            self._started = self._last_line = now
            self._first_done = event.done
            self._finished = False
            self._print(describe_start(event))
            return
        if event.event == "completing":
            if not self._finished:  # every part was already stored (a resume)
                self._finished = True
                self._print(self._line(event, now))
            self._print(f"  {describe_completing(event)}…")
            return
        complete = event.done >= event.total and event.parts_done >= event.part_count
        if complete and not self._finished:
            self._finished = True
            self._print(self._line(event, now))
        elif not complete and now - self._last_line >= self.interval:
            self._last_line = now
            self._print(self._line(event, now))

    def _line(self, event: Progress, now: float) -> str:
        elapsed = max(now - self._started, 1e-6)
        rate = (event.done - self._first_done) / elapsed
        percent = 100 * event.done // event.total if event.total else 100  # an empty file
        text = f"  {human_size(event.done)} of {human_size(event.total)} ({percent}%)"
        if event.part_count > 1:
            text += f", {event.parts_done}/{event.part_count} parts"
        text += f", {human_size(rate)}/s"
        if rate > 0 and event.done < event.total:
            text += f", ETA {eta((event.total - event.done) / rate)}"
        return text

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to tear down."""


class BarProgress:
    """For a terminal: one live bar (rich), bytes, rate and ETA, and the part count."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[parts]}"),
            console=self.console,
            transient=False,
        )
        self._task: TaskID | None = None
        # After the last part, while S3 assembles: a spinner with the time it has taken so far,
        # rather than a full bar whose ETA says 0:00:00.
        self._assembling = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._assembling_task: TaskID | None = None

    def __call__(self, event: Progress) -> None:
        parts = f"{event.parts_done}/{event.part_count} parts" if event.part_count > 1 else ""
        if event.event == "started":
            self.console.print(describe_start(event), highlight=False)
            if self._task is None:
                self._bar.start()
                self._task = self._bar.add_task(
                    "upload", total=event.total, completed=event.done, parts=parts
                )
            return
        if event.event == "completing":
            self._stop_bar()
            if self._assembling_task is None:
                self._assembling.start()
                self._assembling_task = self._assembling.add_task(
                    describe_completing(event), total=None
                )
            return
        if self._task is not None:
            self._bar.update(self._task, completed=event.done, parts=parts)

    def _stop_bar(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None

    def close(self) -> None:
        self._stop_bar()
        if self._assembling_task is not None:
            self._assembling.stop()
            self._assembling_task = None
