"""A batch as a person sees it: its progress (files done of the total, bytes, rate, ETA, failures
so far) as one bar on a terminal or a line every few seconds in a log, on stderr; each file's
line and the summary (with a table of the failures) for the result."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import (
    Progress as RichProgress,
)

from .batch import BatchProgress, FileOutcome
from .display import eta
from .plan import human_size


def _files(state: BatchProgress) -> str:
    text = f"{state.files_done}/{state.files_total} files"
    if state.files_failed:
        text += f", {state.files_failed} failed"
    return text


class BatchLines:
    """For logs and pipes: a line every `interval` seconds, and one when the batch ends."""

    def __init__(self, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = time.monotonic()

    def __call__(self, state: BatchProgress) -> None:
        now = time.monotonic()
        finished = state.files_done + state.files_failed >= state.files_total
        if finished or now - self._last >= self.interval:
            self._last = now
            print(self.line(state), file=self.stream, flush=True)

    @staticmethod
    def line(state: BatchProgress) -> str:
        rate = state.bytes_done / state.seconds if state.seconds > 0 else 0.0
        text = (
            f"  {_files(state)}, {human_size(state.bytes_done)} of "
            f"{human_size(state.bytes_total)}, {human_size(rate)}/s"
        )
        remaining = state.bytes_total - state.bytes_done
        finished = state.files_done + state.files_failed >= state.files_total
        if rate > 0 and remaining > 0 and not finished:
            text += f", ETA {eta(remaining / rate)}"
        return text

    def close(self) -> None:
        """Nothing to tear down."""


class BatchBar:
    """For a terminal: one live bar of the batch's bytes, with its files and failures."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._bar = RichProgress(
            TextColumn("{task.fields[files]}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __call__(self, state: BatchProgress) -> None:
        if self._task is None:
            self._bar.start()
            self._task = self._bar.add_task("batch", total=state.bytes_total, files="")
        self._bar.update(self._task, completed=state.bytes_done, files=_files(state))

    def print(self, text: str) -> None:
        """A line above the bar (a file's result)."""
        self.console.print(text, highlight=False, markup=False)

    def close(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None


_LABEL = {
    "complete": "imported",
    "already_imported": "skipped",
    "changed": "CHANGED",
    "failed": "FAILED",
    "interrupted": "stopped",
}

_SUMMARY = {
    "complete": "imported",
    "already_imported": "already imported",
    "changed": "changed since imported",
    "failed": "failed",
    "interrupted": "stopped",
}


def outcome_line(outcome: FileOutcome) -> str:
    """One file's result, e.g. `imported  2026/orders.csv  1.5 MiB  imports/…/orders.csv`."""
    label = f"{_LABEL[outcome.status]:<9}"
    if outcome.status == "complete":
        return f"{label} {outcome.relative}  {human_size(outcome.size)}  {outcome.key}"
    if outcome.status == "already_imported":
        return f"{label} {outcome.relative}  already imported: {outcome.key}"
    return f"{label} {outcome.relative}  {outcome.error}"


def summary_line(counts: dict[str, int], size: int, seconds: float, not_started: int) -> str:
    files = sum(counts.values())
    rate = files / seconds if seconds > 0 else 0.0
    parts = [f"{counts[s]} {_SUMMARY[s]}" for s in _SUMMARY if counts.get(s)]
    if not_started:
        parts.append(f"{not_started} not started")
    return (
        f"{files} files, {human_size(size)} sent in {seconds:.2f} s ({rate:.1f} files/s, "
        f"{human_size(size / seconds if seconds > 0 else 0.0)}/s): " + ", ".join(parts or ["none"])
    )


def failure_table(failures: list[tuple[int, FileOutcome]]) -> str:
    """The files that did not make it: exit code, file, reason; then what to do, once each."""
    width = max(len(o.relative) for _, o in failures)
    lines = ["failures:", f"  {'exit':<5} {'file':<{width}}  reason"]
    lines += [f"  {code:<5} {o.relative:<{width}}  {o.error}" for code, o in failures]
    hints = dict.fromkeys(str(getattr(o.error, "hint", "") or "") for _, o in failures)
    lines += [f"  hint: {hint}" for hint in hints if hint]
    return "\n".join(lines)
