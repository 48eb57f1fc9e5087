"""A batch's small files get their imports a hundred a call (POST /imports), ahead of their PUTs.

Through POST /import a batch of small files spends one API call per file, and API Gateway admits
the stage's `throttling_rate_limit` calls a second (50 by default) for every caller together. A
file that is one PUT whatever the module's threshold (at most MIN_MULTIPART_THRESHOLD bytes) is
declared here with the files after it, up to a hundred of them (or MAX_BYTES_PER_CALL), in one
call; each file's worker then takes its import and sends its bytes.

A deployment without the route (an older module, `max_imports_per_request = 0`, an IAM policy
that grants POST /import only) answers 401, 403, 404 or 405: every file then creates its own
import, as before. A deployment with a lower limit refuses the call whole (400): the call is
halved until it is accepted, and later calls keep that size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .api import ApiClient
from .discovery import FoundFile
from .errors import ApiError
from .plan import MIN_MULTIPART_THRESHOLD
from .source import FileIdentity

MAX_IMPORTS_PER_CALL = 100  # the module's largest max_imports_per_request
# Bytes declared in one call at most: the URLs of a call's last files are not left waiting while
# hundreds of megabytes go first, and one call's checksums are read in well under a second.
MAX_BYTES_PER_CALL = 64 * 1024**2
ROUTE = "POST /imports"
# "No such route here, for you": the files create their own imports.
_ROUTE_UNAVAILABLE = frozenset({401, 403, 404, 405})
# The call refused whole: too many items, or a body too large, for this deployment.
_CALL_TOO_LARGE = frozenset({400, 413})


@dataclass(frozen=True)
class Prepared:
    """What a file's import was created for: the request sent, the file's identity as read."""

    request: dict[str, Any]
    identity: FileIdentity


@dataclass(frozen=True)
class Created:
    prepared: Prepared
    created: dict[str, Any]  # the import, as POST /import answers it


# A file's request (None: the file creates its own import, e.g. one the batch will skip).
Prepare = Callable[[FoundFile], Prepared | None]


class ImportsAhead:
    """Imports created ahead for the small files among `files` (in the batch's order); `take` is
    safe to call from every worker thread at once."""

    def __init__(self, api: ApiClient, files: list[FoundFile], prepare: Prepare) -> None:
        self._api = api
        self._prepare = prepare
        self._small = [f for f in files if f.size <= MIN_MULTIPART_THRESHOLD]
        self._index = {f.path: n for n, f in enumerate(self._small)}
        self._next = 0  # the first small file not declared yet
        self._ready: dict[str, Created | ApiError] = {}
        self._lock = threading.Lock()
        self.per_call = MAX_IMPORTS_PER_CALL
        self.available = True

    def take(self, found: FoundFile) -> Created | None:
        """The import created for `found`, declaring it and the next files first if needed;
        None when the file is to create its own. Raises the file's refusal (an ApiError), or
        the call's failure when the call that would have declared it failed."""
        with self._lock:
            # Workers reach this in about the batch's order, not exactly: declaring from the
            # first file not declared yet leaves no file behind.
            while found.path not in self._ready and self.available:
                if self._index.get(found.path, -1) < self._next:
                    break  # not small, or its preparation passed it over
                self._declare_from(self._next)
            ready = self._ready.pop(found.path, None)
        if isinstance(ready, ApiError):
            raise ready
        return ready

    def _declare_from(self, start: int) -> None:
        """Create the imports of the small files from `start` on, one call (or fewer items,
        should the deployment refuse a call this large)."""
        group: list[tuple[FoundFile, Prepared]] = []
        size = 0
        position = start
        while position < len(self._small) and len(group) < self.per_call:
            found = self._small[position]
            if group and size + found.size > MAX_BYTES_PER_CALL:
                break
            position += 1
            prepared = self._prepare(found)
            if prepared is not None:
                group.append((found, prepared))
                size += found.size
        self._next = position
        per_call = self.per_call
        while group:
            try:
                results = self._api.create_many([prepared.request for _, prepared in group])
            except ApiError as err:
                if err.status in _ROUTE_UNAVAILABLE:
                    self.available = False
                    return
                if err.status in _CALL_TOO_LARGE and len(group) > 1:
                    self.per_call = len(group) // 2
                    self._next = self._index[group[self.per_call][0].path]
                    group = group[: self.per_call]
                    continue
                if err.status in _CALL_TOO_LARGE:
                    # One item refused whole (by the request validator): its own refusal, and
                    # the calls after it as large as before.
                    self._ready[group[0][0].path] = err
                    self.per_call = per_call
                    return
                self._next = start  # the files after the first try again with their own call
                raise
            except BaseException:
                self._next = start  # a call that never answered (the network, an interruption)
                raise
            for (found, prepared), result in zip(group, results, strict=True):
                self._ready[found.path] = _outcome(prepared, result)
            return


def _outcome(prepared: Prepared, result: dict[str, Any]) -> Created | ApiError:
    if result.get("status") == 201 and isinstance(result.get("import"), dict):
        return Created(prepared, result["import"])
    status = result.get("status")
    return ApiError(
        ROUTE, status if isinstance(status, int) else 0, {"error": result.get("error") or {}}
    )
