"""The `signed-import` command: upload, resume, status, abort."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import httpx

from . import __version__
from .api import QUOTA_EXCEEDED
from .auth import Auth, BearerToken, NoAuth, SigV4
from .batch import Batch, FileOutcome
from .batch_display import BatchBar, BatchLines, failure_table, outcome_line, summary_line
from .batch_record import BatchRecord
from .discovery import Found, find_files
from .display import BarProgress, LineProgress
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    FileChangedError,
    ScanNotFinished,
    SignedImportError,
    TransferError,
    UploadInterrupted,
)
from .journal import Journal
from .plan import human_size, parse_size
from .results import ImportResult, ProgressCallback
from .retry import RetryPolicy
from .uploader import DEFAULT_CONCURRENCY, DEFAULT_SCAN_WAIT_SECONDS, Uploader

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_AUTH = 4
EXIT_NOT_FOUND = 5
EXIT_CONFLICT = 6
EXIT_TRANSFER = 7
EXIT_SCAN = 8
EXIT_INTERRUPTED = 130

EXIT_CODES = """\
exit codes:
  0    done (upload complete, status shown, import aborted)
  1    unexpected error (a bug: please report it)
  2    bad usage: arguments, options, an unreadable file, no API URL
  3    the API refused the request (400, 413, 415, ..., or 429 QuotaExceeded: the API key's
       quota is used up): its message and what to do are shown
  4    authentication: no AWS credentials or token, or the API answered 401/403 (a missing or
       unknown API key included)
  5    no such import (404): mistyped, aborted, expired, or another caller's
  6    conflict: the file changed since the upload began, or the import's state forbids the
       command (409, e.g. already complete)
  7    transfer failed after every retry (network, S3, or API 5xx or throttled 429);
       multipart resumes
  8    --wait-scan: GuardDuty found threats in the file, could not scan it, or had not
       scanned it in time (the upload itself is complete)
  130  interrupted (Ctrl-C, SIGTERM); a multipart import resumes: run the same command again

environment:
  SIGNED_IMPORT_API           the API URL (the module's import_url output), instead of --api
  SIGNED_IMPORT_TOKEN         a Cognito / Lambda authorizer token, instead of --token
  SIGNED_IMPORT_TOKEN_HEADER  the header that carries it (default Authorization)
  SIGNED_IMPORT_AUTH          auto, sigv4, token or none, instead of --auth
  SIGNED_IMPORT_API_KEY       the API key, when the API has usage plans, instead of --api-key
  SIGNED_IMPORT_STATE_DIR     where the resume journal lives (default
                              $XDG_STATE_HOME/signed-import or ~/.local/state/signed-import)
  AWS_PROFILE, AWS_REGION, ... the usual AWS credential chain, for SigV4 (AWS_IAM)
"""


class _Output:
    def __init__(self, as_json: bool, quiet: bool) -> None:
        self.as_json = as_json
        self.quiet = quiet

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def result(self, human: str, machine: dict[str, Any], *, indent: int | None = 2) -> None:
        if self.as_json:
            print(json.dumps(machine, indent=indent), flush=True)
        elif not self.quiet:
            print(human, flush=True)

    def error(self, message: str, hint: str, code: int, extra: dict[str, Any]) -> None:
        print(f"signed-import: error: {message}", file=sys.stderr)
        if hint:
            print(f"  {hint}", file=sys.stderr)
        if self.as_json:
            body = {"status": "error", "exit_code": code, "message": message, "hint": hint}
            print(json.dumps({**body, **extra}, indent=2), flush=True)


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("API and authentication")
    group.add_argument(
        "--api",
        default=os.environ.get("SIGNED_IMPORT_API"),
        metavar="URL",
        help="the module's import_url output (or its invoke_url); env SIGNED_IMPORT_API",
    )
    group.add_argument(
        "--auth",
        choices=("auto", "sigv4", "token", "none"),
        default=os.environ.get("SIGNED_IMPORT_AUTH", "auto"),
        help="how to authorize API calls: auto (default) = token if one is given, else SigV4",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("SIGNED_IMPORT_TOKEN"),
        help="a Cognito ID token or Lambda authorizer token; env SIGNED_IMPORT_TOKEN",
    )
    group.add_argument(
        "--token-header",
        default=os.environ.get("SIGNED_IMPORT_TOKEN_HEADER", "Authorization"),
        metavar="NAME",
        help="the header that carries the token (default Authorization)",
    )
    group.add_argument(
        "--api-key",
        default=os.environ.get("SIGNED_IMPORT_API_KEY"),
        metavar="KEY",
        help="your API key, when the API meters consumers with usage plans (sent as x-api-key, "
        "on top of the authorization); env SIGNED_IMPORT_API_KEY",
    )
    group.add_argument("--profile", help="AWS profile for SigV4 (default: AWS_PROFILE, default)")
    group.add_argument("--region", help="region for SigV4 (default: from the API URL)")
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress, no messages")


def _transfer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"PUTs to S3 in flight at once, a file's parts or a batch's files, 1-64 (default "
        f"{DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--size",
        type=parse_size,
        metavar="BYTES",
        help="the exact size of a stream (FILE -); accepts 16MiB, 8M, 1G",
    )


def _many_files_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "many files (several PATHs or a directory make a batch: each file its own import)"
    )
    group.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="upload the files under each directory PATH, at any depth",
    )
    group.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="only files whose path below the directory matches (a GLOB without / matches the "
        "name at any depth: '*.csv'); repeatable",
    )
    group.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out matching files (wins over --include); repeatable",
    )
    group.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links met under a directory (default: skipped; a PATH named "
        "is always taken)",
    )
    group.add_argument(
        "--keep-paths",
        action="store_true",
        help="store each file's path below its directory as metadata relative-path "
        "(percent-encoded); the key never holds it",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signed-import",
        description="Upload files through a signed-import API straight to S3: single PUT or "
        "parallel multipart as the API plans it, every byte verified by S3 (CRC-64/NVME), "
        "interrupted uploads resumed.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    upload = commands.add_parser(
        "upload",
        help="upload files (or - for stdin, with --size); resumes an interrupted upload",
        description="Upload each PATH, each file its own import. Run the same command again "
        "after an interruption to resume: a batch skips the files it imported, resumes the "
        "multipart ones in flight and reports any file changed since it was imported.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upload.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a file, a directory (with --recursive), or - to read stdin (alone)",
    )
    upload.add_argument(
        "--content-type", metavar="TYPE", help="media type (default: guessed from the name)"
    )
    upload.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="object metadata (x-amz-meta-KEY), repeatable",
    )
    upload.add_argument("--filename", help="the name stored with the object (default: FILE's name)")
    upload.add_argument(
        "--part-size",
        type=parse_size,
        metavar="SIZE",
        help="ask for this part size if the API plans multipart (5MiB-5GiB; default: the "
        "API's choice)",
    )
    upload.add_argument(
        "--restart",
        action="store_true",
        help="abort the unfinished import of FILE, if any, and start a new one",
    )
    upload.add_argument(
        "--no-journal",
        action="store_true",
        help="neither record nor resume this upload in the local journal",
    )
    upload.add_argument(
        "--wait-scan",
        nargs="?",
        const=DEFAULT_SCAN_WAIT_SECONDS,
        type=_seconds,
        metavar="SECONDS",
        help="after the upload, wait for the API's malware scan (GuardDuty) and exit 0 only if "
        f"it found no threats (at most SECONDS, default {DEFAULT_SCAN_WAIT_SECONDS:g})",
    )
    _transfer_options(upload)
    _many_files_options(upload)
    _common(upload)
    upload.set_defaults(func=_upload)

    resume = commands.add_parser(
        "resume",
        help="finish an interrupted multipart import, from any machine",
        description="Finish import IMPORT_ID with FILE: the parts S3 holds are checked "
        "against FILE and kept, the others uploaded.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    resume.add_argument("import_id", metavar="IMPORT_ID")
    resume.add_argument("file", metavar="FILE", help="the same file, or - to read stdin")
    _transfer_options(resume)
    _common(resume)
    resume.set_defaults(func=_resume)

    status = commands.add_parser("status", help="show an import's state")
    status.add_argument("import_id", metavar="IMPORT_ID")
    _common(status)
    status.set_defaults(func=_status)

    abort = commands.add_parser("abort", help="abort a multipart import (S3 frees its parts)")
    abort.add_argument("import_id", metavar="IMPORT_ID")
    _common(abort)
    abort.set_defaults(func=_abort)
    return parser


def _auth(args: argparse.Namespace) -> Auth:
    mode = args.auth
    if mode == "auto":
        mode = "token" if args.token else "sigv4"
    if mode == "none":
        return NoAuth()
    if mode == "token":
        if not args.token:
            raise AuthenticationError(
                "--auth token needs a token", hint="pass --token or set SIGNED_IMPORT_TOKEN"
            )
        return BearerToken(args.token, args.token_header)
    return SigV4(region=args.region, profile=args.profile)


def _uploader(args: argparse.Namespace, *, journal: bool) -> Uploader:
    if not args.api:
        raise ConfigurationError(
            "no API URL", hint="pass --api URL or set SIGNED_IMPORT_API (the import_url output)"
        )
    return Uploader(
        args.api,
        _auth(args),
        concurrency=getattr(args, "concurrency", DEFAULT_CONCURRENCY),
        part_size=getattr(args, "part_size", None),
        journal=Journal() if journal else None,
        retry=args.retry_policy,
        http=args.http_client,
        api_key=args.api_key,
    )


def _progress(args: argparse.Namespace) -> BarProgress | LineProgress | None:
    if args.quiet:
        return None
    return BarProgress() if sys.stderr.isatty() else LineProgress()


def _source(args: argparse.Namespace) -> Any:
    if args.file == "-":
        if args.size is None:
            raise ConfigurationError("reading stdin needs its exact size: pass --size BYTES")
        # Unbuffered: a read waiting on a writer that went quiet can stop when the upload does.
        return getattr(sys.stdin.buffer, "raw", sys.stdin.buffer)
    if args.size is not None and args.size != os.path.getsize(args.file):
        raise ConfigurationError(f"{args.file} has {os.path.getsize(args.file)} bytes, not --size")
    return args.file


def _metadata(pairs: Sequence[str]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"--metadata takes KEY=VALUE, not {pair!r}")
        metadata[key] = value
    return metadata


def _human(result: ImportResult) -> str:
    size = f"  size        {human_size(result.size)} ({result.size} bytes)" + (
        f", {result.content_type}" if result.content_type else ""
    )
    if result.already_complete:
        lines = [
            f"already complete: {result.key}",
            f"  import id   {result.import_id}",
            size,
            "  upload      nothing sent: this import was completed earlier",
        ]
        if result.checksum_crc64nvme:
            lines.append(f"  CRC64NVME   {result.checksum_crc64nvme} (as S3 stored it)")
        return "\n".join(lines)
    kind = "single PUT"
    if result.method == "MULTIPART":
        part_size = human_size(result.part_size) if result.part_size else "?"
        kind = f"multipart, {result.part_count} parts of {part_size}"
        if result.parts_resumed:
            kind += f" ({result.parts_resumed} resumed, {result.parts_uploaded} uploaded now)"
    lines = [
        f"complete: {result.key}",
        f"  import id   {result.import_id}",
        size,
        f"  upload      {kind}",
    ]
    if result.checksum_crc64nvme:
        # "verified" only when S3 answered with the CRC it computed; emulators may not.
        how = "verified by S3" if result.checksum_verified else "declared; S3 reported none back"
        lines.append(f"  CRC64NVME   {result.checksum_crc64nvme} ({how})")
    rate = result.bytes_per_second or 0.0
    lines.append(f"  time        {result.seconds:.2f} s, {human_size(rate)}/s")
    return "\n".join(lines)


def _run_upload(
    args: argparse.Namespace,
    out: _Output,
    work: Callable[[Uploader, ProgressCallback | None], ImportResult],
    *,
    journal: bool,
) -> int:
    progress = _progress(args)
    with _uploader(args, journal=journal) as uploader:
        try:
            result = work(uploader, progress)
        finally:
            if progress is not None:
                progress.close()
    wait = getattr(args, "wait_scan", None)
    if wait is None:
        out.result(_human(result), result.to_json())
        return EXIT_OK
    out.note(f"uploaded; waiting for the malware scan of {result.import_id} (at most {wait:g} s)")
    with _uploader(args, journal=False) as uploader:
        scan = uploader.wait_for_scan(result.import_id, timeout=wait)
    clean = scan.get("status") == "no_threats_found"
    human = f"{_human(result)}\n  malware     {_scan_text(scan)}"
    out.result(human, {**result.to_json(), "malware_scan": scan})
    return EXIT_OK if clean else EXIT_SCAN


def _scan_text(scan: dict[str, Any]) -> str:
    text = str(scan.get("status", "?")).replace("_", " ")
    detail = scan.get("guardduty_status")
    return f"{text} (GuardDuty: {detail})" if detail else text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError("between 0 and 86400 seconds")
    return value


def _is_batch(args: argparse.Namespace) -> bool:
    return len(args.paths) > 1 or os.path.isdir(args.paths[0])


def _upload(args: argparse.Namespace, out: _Output) -> int:
    if _is_batch(args):
        return _upload_many(args, out)
    args.file = args.paths[0]
    source = _source(args)
    metadata = _metadata(args.metadata)
    journal = isinstance(source, str) and not args.no_journal  # a file, not stdin

    def work(uploader: Uploader, progress: ProgressCallback | None) -> ImportResult:
        if args.restart and isinstance(source, str):
            aborted = uploader.forget(source)
            if aborted:
                out.note(f"aborted the unfinished import {aborted} of {source}")
        return uploader.upload(
            source,
            size=args.size,
            content_type=args.content_type,
            filename=args.filename,
            metadata=metadata,
            progress=progress,
        )

    return _run_upload(args, out, work, journal=journal)


# Options that describe one file; a batch refuses them rather than apply them to every file.
_ONE_FILE_ONLY = (("filename", "--filename"), ("size", "--size"), ("wait_scan", "--wait-scan"))
# A batch exits with its worst file's code: this order, worst first.
_WORST_FIRST = (
    EXIT_UNEXPECTED,
    EXIT_AUTH,
    EXIT_USAGE,
    EXIT_TRANSFER,
    EXIT_REFUSED,
    EXIT_NOT_FOUND,
    EXIT_CONFLICT,
)


def _upload_many(args: argparse.Namespace, out: _Output) -> int:
    if "-" in args.paths:
        raise ConfigurationError("- (stdin) is uploaded on its own, not with other PATHs")
    for name, flag in _ONE_FILE_ONLY:
        if getattr(args, name) is not None:
            raise ConfigurationError(f"{flag} describes one file; these PATHs are a batch")
    found = find_files(
        args.paths,
        recursive=args.recursive,
        include=args.include,
        exclude=args.exclude,
        follow_symlinks=args.follow_symlinks,
    )
    if found.skipped_links:
        out.note(f"skipped {found.skipped_links} symbolic links (--follow-symlinks follows them)")
    if found.skipped_special:
        out.note(f"skipped {found.skipped_special} entries that are not regular files")
    metadata = _metadata(args.metadata)
    display = None if args.quiet or args.json else BatchBar() if sys.stderr.isatty() else None
    lines = BatchLines() if display is None and not args.quiet else None
    report = _BatchReport(args, out, display)
    with _uploader(args, journal=not args.no_journal) as uploader:
        record = None if args.no_journal else BatchRecord(uploader.import_url, args.paths)
        if args.restart:
            _start_over(uploader, record, found, out)
        batch = Batch(
            uploader,
            found.files,
            metadata=metadata,
            content_type=args.content_type,
            keep_paths=args.keep_paths,
            record=record,
            progress=display or lines,
        )
        out.note(
            f"{len(found.files)} files, {human_size(found.total_bytes)}, "
            f"{uploader.concurrency} PUTs at a time"
        )
        try:
            _drain(batch, report)
        finally:
            if display is not None:
                display.close()
            if record is not None:
                record.close()
    return report.finish(batch)


def _start_over(uploader: Uploader, record: BatchRecord | None, found: Found, out: _Output) -> None:
    """--restart for a batch: forget what it recorded, abort its files' unfinished imports."""
    if record is not None:
        record.forget()
    for file in found.files:
        aborted = uploader.forget(file.path)
        if aborted:
            out.note(f"aborted the unfinished import {aborted} of {file.path}")


def _drain(batch: Batch, report: _BatchReport) -> None:
    """Report every outcome. Ctrl-C or SIGTERM stops the batch rather than raise: no file
    starts, the files in flight come back "interrupted" and are reported like the others, then
    the summary. A second one stops at once."""

    def stop(signum: int, frame: FrameType | None) -> None:
        batch.interrupt()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _on_sigterm)

    previous = signal.signal(signal.SIGINT, stop), signal.signal(signal.SIGTERM, stop)
    try:
        for outcome in batch.run():
            report.add(outcome)
    except UploadInterrupted:
        pass  # the summary says so
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


class _BatchReport:
    """Each file's line (or JSON line) as it finishes; the summary and failures at the end."""

    def __init__(self, args: argparse.Namespace, out: _Output, display: BatchBar | None) -> None:
        self.args = args
        self.out = out
        self.display = display
        self.counts: Counter[str] = Counter()
        self.failures: list[tuple[int, FileOutcome]] = []
        self.bytes_sent = 0
        self.started = time.monotonic()

    def add(self, outcome: FileOutcome) -> None:
        self.counts[outcome.status] += 1
        code = EXIT_OK
        if outcome.status == "complete":
            self.bytes_sent += outcome.size
        elif outcome.error is not None:
            code = _outcome_exit_code(outcome.error)
            self.failures.append((code, outcome))
        if self.args.json:
            line = {**outcome.to_json(), "exit_code": code}
            for name in ("message", "hint"):
                if name in line:
                    line[name] = _for_the_command_line(line[name])
            print(json.dumps(line), flush=True)
        elif not self.args.quiet:
            text = _for_the_command_line(outcome_line(outcome))
            if self.display is not None:
                self.display.print(text)
            else:
                print(text, flush=True)

    def finish(self, batch: Batch) -> int:
        seconds = time.monotonic() - self.started
        codes = {code for code, _ in self.failures}
        code = next((c for c in _WORST_FIRST if c in codes), EXIT_OK)
        if batch.interrupted:
            code = EXIT_INTERRUPTED
        if self.failures:
            print(_for_the_command_line(failure_table(self.failures)), file=sys.stderr)
        stopped = ""
        if batch.stopped_by is not None:
            stopped = _for_the_command_line(str(batch.stopped_by))
            print(
                f"signed-import: stopped: {stopped}; {batch.not_started} files not started",
                file=sys.stderr,
            )
        elif batch.interrupted:
            print(
                f"signed-import: interrupted; {batch.not_started} files not started; run the "
                "same command again to resume",
                file=sys.stderr,
            )
        files = sum(self.counts.values())
        summary = {
            "files": files + batch.not_started,
            **{status: self.counts.get(status, 0) for status in _STATUSES},
            "not_started": batch.not_started,
            "bytes_sent": self.bytes_sent,
            "seconds": round(seconds, 3),
            "files_per_second": round(files / seconds, 1) if seconds > 0 else None,
            "stopped_by": stopped or None,
            "exit_code": code,
        }
        human = summary_line(self.counts, self.bytes_sent, seconds, batch.not_started)
        self.out.result(human, {"summary": summary}, indent=None)  # a JSON line, as the files
        return code


_STATUSES = ("complete", "already_imported", "changed", "failed", "interrupted")


def _outcome_exit_code(error: BaseException) -> int:
    if isinstance(error, OSError):
        return EXIT_USAGE  # unreadable, or gone since it was found
    code = _exit_code(error)
    if code == EXIT_UNEXPECTED:
        traceback.print_exception(error)
    return code


def _resume(args: argparse.Namespace, out: _Output) -> int:
    source = _source(args)

    def work(uploader: Uploader, progress: ProgressCallback | None) -> ImportResult:
        return uploader.resume(args.import_id, source, size=args.size, progress=progress)

    return _run_upload(args, out, work, journal=isinstance(source, str))


def _status(args: argparse.Namespace, out: _Output) -> int:
    with _uploader(args, journal=False) as uploader:
        state = uploader.status(args.import_id)
    width = max(len(k) for k in state)
    lines = [
        f"{k:<{width}}  {_scan_text(v) if k == 'malware_scan' else v}" for k, v in state.items()
    ]
    out.result("\n".join(lines), state)
    return EXIT_OK


def _abort(args: argparse.Namespace, out: _Output) -> int:
    with _uploader(args, journal=False) as uploader:
        uploader.abort(args.import_id)
        Journal().remove_import(args.import_id)
    out.result(
        f"aborted: {args.import_id} (S3 freed its parts)",
        {"status": "aborted", "import_id": args.import_id},
    )
    return EXIT_OK


_EXIT_BY_TYPE: tuple[tuple[type[BaseException], int], ...] = (
    (UploadInterrupted, EXIT_INTERRUPTED),
    (FileChangedError, EXIT_CONFLICT),
    (AuthenticationError, EXIT_AUTH),
    (ConfigurationError, EXIT_USAGE),
    (TransferError, EXIT_TRANSFER),
    (ScanNotFinished, EXIT_SCAN),
)
_EXIT_BY_STATUS = {401: EXIT_AUTH, 403: EXIT_AUTH, 404: EXIT_NOT_FOUND, 409: EXIT_CONFLICT}


# The library names its parameters and methods in backticks; the command line has flags and
# commands for them.
_FLAGS = {
    "`part_size`": "--part-size",
    "`metadata`": "--metadata",
    "`filename`": "--filename",
    "`content_type`": "--content-type",
    "`concurrency`": "--concurrency",
    "`size`": "--size",
    "`token`": "--token",
    "`profile`": "--profile",
    "`region`": "--region",
    "`import_url`": "--api",
    "`wait_scan`": "--wait-scan",
    "`api_key`": "--api-key",
    "`forget` does both": "--restart does both",
    "(`forget` the record)": "(--restart)",
}
_COMMAND = re.compile(r"`((?:abort|resume|status) [^`]+)`")


def _for_the_command_line(text: str) -> str:
    """A library message or hint in the command line's terms: flags and commands."""
    for name, flag in _FLAGS.items():
        text = text.replace(name, flag)
    return _COMMAND.sub(r"`signed-import \1`", text)


def _exit_code(error: BaseException) -> int:
    if isinstance(error, ApiError):
        if error.code == QUOTA_EXCEEDED:
            return EXIT_REFUSED  # no retry helps before the quota's period starts again
        if error.status == 429 or error.status >= 500:
            return EXIT_TRANSFER
        return _EXIT_BY_STATUS.get(error.status, EXIT_REFUSED)
    for kind, code in _EXIT_BY_TYPE:
        if isinstance(error, kind):
            return code
    return EXIT_UNEXPECTED


def _interrupted_hint(error: UploadInterrupted, args: argparse.Namespace) -> str:
    if error.import_id is None or not error.resumable:
        return error.hint or "run the command again"
    file = getattr(args, "file", "FILE")
    again = "run the same command again, or from any machine: "
    return (
        f"the import is resumable: {again}signed-import resume {error.import_id} {file}\n"
        f"  to give it up instead: signed-import abort {error.import_id}"
    )


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(
    argv: Sequence[str] | None = None,
    *,
    http: httpx.Client | None = None,
    retry: RetryPolicy | None = None,
) -> int:
    """Run one command; the exit code. `http` and `retry`, when given, are what every API and
    S3 call of the command uses (a program embedding the CLI, or a test)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.http_client, args.retry_policy = http, retry
    out = _Output(args.json, args.quiet)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code: int = args.func(args, out)
    except KeyboardInterrupt:
        out.error("interrupted", "", EXIT_INTERRUPTED, {})
        return EXIT_INTERRUPTED
    except SignedImportError as error:
        code = _exit_code(error)
        hint = error.hint
        if isinstance(error, UploadInterrupted):
            hint = _interrupted_hint(error, args)
        extra: dict[str, Any] = {"import_id": error.import_id}
        if isinstance(error, ApiError):
            extra.update(http_status=error.status, code=error.code)
        out.error(_for_the_command_line(str(error)), _for_the_command_line(hint), code, extra)
        return code
    except OSError as error:
        out.error(str(error), "", EXIT_USAGE, {})
        return EXIT_USAGE
    except Exception as error:  # a bug: said as one, with its traceback, never as a failure
        traceback.print_exc()
        hint = "this is a bug in signed-import: please report it with the traceback above"
        out.error(f"unexpected error: {error!r}", hint, EXIT_UNEXPECTED, {})
        return EXIT_UNEXPECTED
    return code
