"""A batch's small files get their imports a hundred a call (POST /imports) where the deployment
has the route, fall back to one POST /import each where it has not, and halve the call where its
limit is lower. Against the module in memory."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from fake_module import API, MIB, FakeModule, api_error, random_file
from signed_import_client.auth import NoAuth
from signed_import_client.batch import FileOutcome
from signed_import_client.errors import FileChangedError
from signed_import_client.retry import RetryPolicy
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.001, throttle_patience=0.0)
CREATE_ONE = f"POST {API}"
CREATE_MANY = f"POST {API}s"


def files(root: Path, count: int, size: int = 1000) -> dict[str, bytes]:
    root.mkdir(parents=True, exist_ok=True)
    return {f"{n:04}.csv": random_file(root / f"{n:04}.csv", size + n) for n in range(count)}


def upload_all(module: FakeModule, root: Path, **options: object) -> dict[str, FileOutcome]:
    """Each file's outcome, by its path below `root`."""
    with Uploader(API, NoAuth(), concurrency=4, http=module.client(), retry=FAST) as uploader:
        found = uploader.upload_many([root], recursive=True, **options)  # type: ignore[arg-type]
        return {outcome.relative: outcome for outcome in found}


def statuses(outcomes: dict[str, FileOutcome]) -> list[str]:
    return [outcome.status for outcome in outcomes.values()]


def stored(module: FakeModule) -> dict[str, bytes]:
    objects: dict[str, bytes] = {}
    for found in module.imports.values():
        if found.stored is not None:
            name = found.metadata["filename"]
            assert name not in objects, f"{name} stored twice"
            objects[name] = found.stored
    return objects


def assert_failed_alone(
    module: FakeModule,
    outcomes: dict[str, FileOutcome],
    data: dict[str, bytes],
    name: str,
    answer: str,
) -> None:
    """`name` failed with `answer`; every other file was imported and stored."""
    assert outcomes[name].status == "failed"
    assert answer in str(outcomes[name].error)
    others = set(data) - {name}
    assert {n for n, outcome in outcomes.items() if outcome.status == "complete"} == others
    assert set(stored(module)) == others


def test_small_files_are_declared_a_hundred_a_call(tmp_path: Path) -> None:
    data = files(tmp_path / "d", 250)
    large = random_file(tmp_path / "d" / "large.bin", 9 * MIB)  # multipart: its own call
    module = FakeModule(imports_per_request=100)

    outcomes = upload_all(module, tmp_path / "d", metadata={"batch": "b1"}, keep_paths=True)

    assert statuses(outcomes) == ["complete"] * 251
    assert stored(module) == {**data, "large.bin": large}
    calls = Counter(module.calls)
    assert calls[CREATE_MANY] == 3  # 100 + 100 + 50
    assert calls[CREATE_ONE] == 1  # large.bin
    small = [i for i in module.imports.values() if not i.multipart]
    assert all(i.metadata["batch"] == "b1" for i in small)
    assert {unquote(i.metadata["relative-path"]) for i in small} == set(data)
    assert all(i.crc is not None for i in small)  # each declared with its CRC-64/NVME


def test_a_deployment_without_the_route_gets_one_call_a_file(tmp_path: Path) -> None:
    data = files(tmp_path / "d", 40)
    module = FakeModule(imports_per_request=0)  # answers 404, as max_imports_per_request = 0

    assert statuses(upload_all(module, tmp_path / "d")) == ["complete"] * 40

    assert stored(module) == data
    calls = Counter(module.calls)
    assert (calls[CREATE_MANY], calls[CREATE_ONE]) == (1, 40)  # asked once, then per file


@pytest.mark.parametrize("status", [401, 403, 405])
def test_a_caller_not_allowed_the_route_falls_back(tmp_path: Path, status: int) -> None:
    data = files(tmp_path / "d", 12)
    module = FakeModule(imports_per_request=100)
    handle = module.handle

    def no_batches(request: httpx.Request) -> httpx.Response:
        if str(request.url) == API + "s":
            return api_error(status, "AccessDenied", "not allowed on this resource")
        return handle(request)

    module.handle = no_batches  # type: ignore[method-assign]

    assert statuses(upload_all(module, tmp_path / "d")) == ["complete"] * 12
    assert stored(module) == data


def test_a_lower_limit_halves_the_call_until_it_is_accepted(tmp_path: Path) -> None:
    data = files(tmp_path / "d", 120)
    module = FakeModule(imports_per_request=30)

    assert statuses(upload_all(module, tmp_path / "d")) == ["complete"] * 120

    assert stored(module) == data
    calls = Counter(module.calls)
    assert calls[CREATE_ONE] == 0
    # 100 and 50 refused, 25 accepted, then 25 a call: five calls accepted in all.
    assert calls[CREATE_MANY] == 2 + 5


def test_an_item_refused_fails_its_file_only(tmp_path: Path) -> None:
    data = files(tmp_path / "d", 10)
    module = FakeModule(imports_per_request=100)
    create = module._create

    def refuse_one(body: dict[str, object]) -> httpx.Response:
        if body.get("filename") == "0003.csv":
            return api_error(415, "ContentTypeNotAllowed", "content_type must be one of: x/y")
        return create(body)

    module._create = refuse_one  # type: ignore[method-assign]

    outcomes = upload_all(module, tmp_path / "d")

    assert_failed_alone(module, outcomes, data, "0003.csv", "415 ContentTypeNotAllowed")


def test_a_file_changed_after_its_checksum_is_not_sent(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    random_file(path, 100)
    module = FakeModule(imports_per_request=100)
    with Uploader(API, NoAuth(), http=module.client(), retry=FAST) as uploader:
        request, identity = uploader.small_file_request(path)
        [result] = uploader.api.create_many([request])
        path.write_bytes(b"x" * 101)

        with pytest.raises(FileChangedError, match="changed after its checksum"):
            uploader.upload_created(path, request, identity, result["import"])

    assert stored(module) == {}


def test_an_item_the_validator_refuses_fails_alone(tmp_path: Path) -> None:
    data = files(tmp_path / "d", 40)
    module = FakeModule(imports_per_request=100)
    handle = module.handle

    def validator(request: httpx.Request) -> httpx.Response:
        # API Gateway's request validator refuses a call whole for one item off the model.
        if str(request.url) == API + "s":
            items = json.loads(request.content)["imports"]
            if any(item["filename"] == "0017.csv" for item in items):
                return api_error(400, "InvalidBody", "Invalid request body")
        return handle(request)

    module.handle = validator  # type: ignore[method-assign]

    outcomes = upload_all(module, tmp_path / "d")

    assert_failed_alone(module, outcomes, data, "0017.csv", "400 InvalidBody")
    assert Counter(module.calls)[CREATE_ONE] == 0


def test_a_call_that_never_answers_fails_one_file_and_the_rest_are_declared_again(
    tmp_path: Path,
) -> None:
    data = files(tmp_path / "d", 30)
    module = FakeModule(imports_per_request=100)
    handle = module.handle
    dropped = iter(range(FAST.attempts))  # every try of the first call

    def flaky(request: httpx.Request) -> httpx.Response:
        if str(request.url) == API + "s" and next(dropped, None) is not None:
            raise httpx.ConnectError("connection reset", request=request)
        return handle(request)

    module.handle = flaky  # type: ignore[method-assign]

    outcomes = upload_all(module, tmp_path / "d")

    failed = [name for name, outcome in outcomes.items() if outcome.status == "failed"]
    assert len(failed) == 1
    assert "ConnectError" in str(outcomes[failed[0]].error)
    assert set(stored(module)) == set(data) - set(failed)
    assert Counter(module.calls)[CREATE_ONE] == 0
