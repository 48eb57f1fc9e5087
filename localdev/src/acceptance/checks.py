"""The acceptance checks: what a platform engineer would try by hand after `terraform apply`.

Each check takes the deployment (a Target) and a scratch directory, asserts, and returns what
it saw worth reporting. `run_all` runs every check, even after one fails, and reports them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from acceptance.guardduty import EICAR, SCAN_TAG
from acceptance.target import LISTED_ORIGIN, SECOND_ORIGIN, UNLISTED_ORIGIN, Target

MIB = 1024 * 1024
# examples/complete's consumers (api_consumers): the checks call as the partner; the evaluation
# key's quota (usage_plans) is used up by the usage-plan check.
PARTNER = "acme-logistics"
EVALUATION = "evaluation"
EVALUATION_QUOTA = 50
CLI = str(Path(sys.executable).with_name("signed-import"))
RESOURCE_POLICY_SID = "OnlyFromAllowedNetworks"  # examples/complete's Deny statement
# Above examples/complete's multipart threshold (the module's default, 100 MiB): 21 parts of 5 MiB.
MULTIPART_SIZE = 100 * MIB + 1
PART_SIZE = 5 * MIB
INTERRUPT_AFTER_PARTS = 2
BATCH_FILES = 40  # one POST /imports call


@dataclass
class Context:
    """What the checks share: the deployment, a token, a scratch folder, request ids seen."""

    target: Target
    token: str
    scratch: Path
    request_ids: dict[str, int] = field(default_factory=dict)  # id -> status answered

    @property
    def bucket(self) -> str:
        return str(self.target.outputs["bucket_name"])

    def api_key(self, consumer: str = PARTNER) -> str:
        return str(self.target.outputs["api_keys"][consumer])

    @property
    def headers(self) -> dict[str, str]:
        """What an API call sends: the partner's token and API key, a JSON body."""
        return {
            "Authorization": self.token,
            "x-api-key": self.api_key(),
            "Content-Type": "application/json",
        }

    def cli(
        self, *args: str, stdin: int | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """The CLI as the partner (`env` adds or replaces variables)."""
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.scratch),
            "SIGNED_IMPORT_API": self.target.import_url,
            "SIGNED_IMPORT_TOKEN": self.token,
            "SIGNED_IMPORT_API_KEY": self.api_key(),
            "SIGNED_IMPORT_STATE_DIR": str(self.scratch / "state"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        return subprocess.Popen(
            [CLI, *args],
            env=environment,
            cwd=self.scratch,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run_cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        process = self.cli(*args, env=env)
        out, err = process.communicate(timeout=600)
        return process.returncode, out.decode(), err.decode()


class CheckFailed(Exception):
    """What a check expected and did not see."""


def expect(condition: object, message: object) -> None:
    """A check's assertion (kept under python -O, unlike `assert`)."""
    if not condition:
        raise CheckFailed(str(message))


@dataclass(frozen=True)
class Result:
    name: str
    passed: bool
    detail: str
    seconds: float


# --- the token ---------------------------------------------------------------------------


def cognito_id_token(target: Target) -> str:
    """An ID token of a new user in the stack's pool, through a new app client allowing the
    admin password flow (both go with the pool on destroy)."""
    cognito = target.client("cognito-idp")
    pool = target.outputs["user_pool_id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="signed-import-acceptance",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        GenerateSecret=False,
    )["UserPoolClient"]["ClientId"]
    username = f"acceptance-{secrets.token_hex(4)}"
    password = f"Aa1!{secrets.token_urlsafe(24)}"  # meets the default password policy
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=username, Password=password, Permanent=True
    )
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


# --- uploads with the CLI ----------------------------------------------------------------


def _await_scan(ctx: Context, key: str, timeout: float = 600) -> None:
    """Where GuardDuty scans the imports and the bucket lets no one read an unscanned one, wait
    for its tag (locally nothing is refused)."""
    if not ctx.target.scans_for_malware:
        return
    s3, deadline = ctx.target.client("s3"), time.monotonic() + timeout
    while True:
        tags = s3.get_object_tagging(Bucket=ctx.bucket, Key=key)["TagSet"]
        if any(tag["Key"] == SCAN_TAG for tag in tags):
            return
        expect(time.monotonic() < deadline, f"{key}: not scanned after {timeout:g} s")
        time.sleep(5)


def _stored_sha256(ctx: Context, key: str) -> tuple[int, str]:
    _await_scan(ctx, key)
    body = ctx.target.client("s3").get_object(Bucket=ctx.bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: body.read(MIB), b""):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def single_put(ctx: Context) -> str:
    data = b"order_id,amount\n" + b"".join(b"%d,9.99\n" % n for n in range(2000))
    path = ctx.scratch / "orders.csv"
    path.write_bytes(data)

    code, out, err = ctx.run_cli("upload", str(path), "--json")

    expect(code == 0, f"exit {code}: {err}")
    result = json.loads(out)
    expect(result["method"] == "PUT", result)
    expect(
        _stored_sha256(ctx, result["key"]) == (len(data), hashlib.sha256(data).hexdigest()),
        f"S3 does not hold the file's bytes under {result['key']}",
    )
    return f"{len(data):,} bytes in one PUT, stored byte for byte"


def many_small_files(ctx: Context) -> str:
    """A directory of small files through the CLI, each stored byte for byte (their imports
    declared through POST /imports); then the route's refusals: an item off the model refused
    whole by API Gateway's validator, which checks each item against ImportRequest through a
    model reference, and a call of 101 items by the signer (the validator leaves maxItems out)."""
    root = ctx.scratch / "exports"
    written: dict[str, bytes] = {}
    for number in range(BATCH_FILES):
        path = root / f"day-{number % 3}" / f"orders-{number:03}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        written[path.relative_to(root).as_posix()] = b"order_id,amount\n%d,9.99\n" % number
        path.write_bytes(written[path.relative_to(root).as_posix()])

    code, out, err = ctx.run_cli("upload", str(root), "--recursive", "--json")

    expect(code == 0, f"exit {code}: {err}")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    summary = lines.pop()["summary"]
    expect(summary["complete"] == BATCH_FILES, summary)
    for line in lines:
        data = written[line["relative_path"]]
        expect(
            _stored_sha256(ctx, line["key"]) == (len(data), hashlib.sha256(data).hexdigest()),
            f"S3 does not hold {line['relative_path']} under {line['key']}",
        )
    url = ctx.target.import_url + "s"
    off_model = json.dumps({"imports": [{"size": 5}, {"size": 5, "acl": "public-read"}]})
    refused = curl(ctx, "POST", url, ctx.headers, off_model, http2=False)
    expect(refused.status == 400, f"an item off the model: {refused.status} {refused.body!r}")
    expect(_error_code(refused) == "InvalidBody", f"an item off the model: {refused.body!r}")
    too_many = json.dumps({"imports": [{"size": 5}] * 101})
    refused = curl(ctx, "POST", url, ctx.headers, too_many, http2=False)
    expect(refused.status == 400, f"101 items: {refused.status} {refused.body!r}")
    expect(_error_code(refused) == "InvalidImports", f"101 items: {refused.body!r}")
    return (
        f"{BATCH_FILES} small files in one batch, stored byte for byte; POST /imports refused an "
        "item off the model (API Gateway, 400 InvalidBody) and 101 items (the signer)"
    )


def _parts_stored(ctx: Context) -> tuple[str | None, int]:
    """The import's upload id (the only multipart upload in the bucket) and its parts."""
    s3 = ctx.target.client("s3")
    uploads = s3.list_multipart_uploads(Bucket=ctx.bucket).get("Uploads", [])
    if not uploads:
        return None, 0
    upload = uploads[0]
    parts = s3.list_parts(Bucket=ctx.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return upload["UploadId"], len(parts.get("Parts", []))


def multipart_interrupted_and_resumed(ctx: Context) -> str:
    """A multipart upload from a pipe, interrupted (SIGINT) once two parts are stored
    whatever the network's speed (the rest of the bytes are not written yet), then finished
    with `signed-import resume` from the file: the stored parts are kept, the others sent."""
    data = secrets.token_bytes(MULTIPART_SIZE)
    path = ctx.scratch / "orders-large.csv"
    path.write_bytes(data)
    head = INTERRUPT_AFTER_PARTS * PART_SIZE + 1
    process = ctx.cli(
        "upload", "-", "--size", str(len(data)), "--part-size", "5MiB", "--concurrency", "2",
        "--content-type", "text/csv", "--filename", path.name, "--json",
        stdin=subprocess.PIPE,
    )  # fmt: skip
    if process.stdin is None:
        raise CheckFailed("the CLI has no stdin pipe")
    process.stdin.write(data[:head])
    process.stdin.flush()
    deadline = time.monotonic() + 300
    parts = 0
    while parts < INTERRUPT_AFTER_PARTS:
        if process.poll() is not None:
            raise CheckFailed(f"the CLI ended early: {process.communicate()}")
        expect(time.monotonic() < deadline, f"{parts} part(s) stored after 300 s")
        time.sleep(0.2)
        _, parts = _parts_stored(ctx)
    # Ctrl-C in a terminal: the whole pipeline gets SIGINT, so the producer ends too, and the
    # stream closes just after the CLI was interrupted.
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    _, err_bytes = process.communicate(timeout=120)
    err = err_bytes.decode()
    expect(process.returncode == 130, f"exit {process.returncode}: {err}")
    expect("signed-import resume" in err, err)
    import_id = err.split("signed-import resume ", 1)[1].split()[0]

    code, out, err = ctx.run_cli("resume", import_id, str(path), "--json")

    expect(code == 0, f"resume: exit {code}: {err}")
    result = json.loads(out)
    total = -(-len(data) // PART_SIZE)
    expect(result["parts_resumed"] >= INTERRUPT_AFTER_PARTS, result)
    expect(result["parts_resumed"] + result["parts_uploaded"] == total, result)
    expect(
        _stored_sha256(ctx, result["key"]) == (len(data), hashlib.sha256(data).hexdigest()),
        f"S3 does not hold the file's bytes under {result['key']}",
    )
    expect(_parts_stored(ctx) == (None, 0), "a multipart upload was left behind")
    return (
        f"{len(data):,} bytes in {total} parts: interrupted with {result['parts_resumed']} "
        f"stored, resumed with {result['parts_uploaded']} more, stored byte for byte"
    )


# --- the API with curl ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    version: str  # the HTTP version curl spoke
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def curl(
    ctx: Context,
    method: str,
    url: str,
    headers: dict[str, str],
    body: str | None = None,
    *,
    http2: bool,
) -> Answer:
    """One request with curl. Over HTTP/2 a browser's header names arrive in lower case; on a
    target without HTTP/2 the same lower-case names are sent over HTTP/1.1."""
    head, out = ctx.scratch / "curl-head", ctx.scratch / "curl-body"
    version = ["--http2"] if http2 and ctx.target.http2 else ["--http1.1"]
    command = ["curl", "-sS", "--max-time", "60", *version, "-X", method, url,
               "-D", str(head), "-o", str(out), "-w", "%{http_code} %{http_version}"]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name.lower() if http2 else name}: {value}"]
    if body is not None:
        command += ["--data-binary", body]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)
    status, spoken = done.stdout.split()
    lines = head.read_text().splitlines()[1:]
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    answer = Answer(
        int(status),
        spoken,
        {name.strip().lower(): value.strip() for name, value in fields.items()},
        out.read_bytes(),
    )
    request_id = answer.headers.get("x-amzn-requestid")
    if request_id:
        ctx.request_ids[request_id] = answer.status
    return answer


def _error_code(answer: Answer) -> str:
    return str(answer.json()["error"]["code"])


def cors_and_errors(ctx: Context) -> str:
    """Preflights and error answers from a listed and an unlisted origin, over HTTP/1.1 and
    HTTP/2: what a browser gets (and whether it may read it) in each case."""
    url = ctx.target.import_url
    auth = ctx.headers
    preflight_headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-api-key",
    }
    for http2 in (False, True):
        for origin, listed in ((LISTED_ORIGIN, True), (UNLISTED_ORIGIN, False)):
            where = f"{'HTTP/2' if http2 else 'HTTP/1.1'} from {origin}"
            echoed = origin if listed else None
            preflight = curl(
                ctx, "OPTIONS", url, {"Origin": origin, **preflight_headers}, http2=http2
            )
            expect(preflight.status == 204, f"preflight {where}: {preflight.status}")
            allowed = preflight.headers.get("access-control-allow-origin")
            expect(allowed == echoed, f"preflight {where}: Access-Control-Allow-Origin {allowed}")
            allowed_headers = preflight.headers.get("access-control-allow-headers", "")
            expect(
                "x-api-key" in allowed_headers.lower().split(","),
                f"preflight {where}: Access-Control-Allow-Headers {allowed_headers}",
            )
            if http2 and ctx.target.http2:
                expect(preflight.version == "2", f"curl spoke HTTP/{preflight.version}")

            # Refused by API Gateway's request validator: a gateway response, JSON, readable
            # by the page of the one listed origin.
            invalid = curl(
                ctx, "POST", url, {**auth, "Origin": origin}, '{"size": -1}', http2=http2
            )
            expect(invalid.status == 400, f"invalid body {where}: {invalid.status}")
            expect(_error_code(invalid) == "InvalidBody", f"invalid body {where}: {invalid.body!r}")
            allowed = invalid.headers.get("access-control-allow-origin")
            expect(allowed == LISTED_ORIGIN, f"invalid body {where}: {allowed}")

            # Refused by the signer: its own CORS answer names a listed origin only.
            png = '{"size": 5, "content_type": "image/png"}'
            refused = curl(ctx, "POST", url, {**auth, "Origin": origin}, png, http2=http2)
            expect(refused.status == 415, f"415 {where}: {refused.status} {refused.body!r}")
            expect("error" in refused.json(), f"415 {where}: {refused.body!r}")
            allowed = refused.headers.get("access-control-allow-origin")
            expect(allowed == echoed, f"415 {where}: Access-Control-Allow-Origin {allowed}")

            if ctx.target.verifies_authorization:
                csv = '{"size": 5, "content_type": "text/csv"}'
                keyed = {"x-api-key": ctx.api_key(), "Content-Type": "application/json"}
                anonymous = curl(ctx, "POST", url, {**keyed, "Origin": origin}, csv, http2=http2)
                expect(anonymous.status == 401, f"no token {where}: {anonymous.status}")
                expect(_error_code(anonymous) == "Unauthorized", f"no token {where}")
    spoken = (
        "HTTP/1.1 and HTTP/2" if ctx.target.http2 else "HTTP/1.1 (with HTTP/2's lower-case names)"
    )
    checked = "preflight, 400, 415" + (", 401" if ctx.target.verifies_authorization else "")
    untested = "" if ctx.target.verifies_authorization else "; 401 without a token: AWS only"
    return f"{checked} over {spoken}, from a listed and an unlisted origin{untested}"


def access_log_is_json(ctx: Context) -> str:
    """Every request the curl checks made has one access-log line, and it parses as JSON."""
    expect(ctx.request_ids, "no request ids to look for (the curl check did not run?)")
    lines = ctx.target.access_log(ctx.request_ids)
    parsed = [json.loads(line) for line in lines]  # raises on a line that is not JSON
    by_id = {entry["requestId"]: entry for entry in parsed}
    missing = set(ctx.request_ids) - set(by_id)
    expect(not missing, f"no access-log line for {sorted(missing)}")
    for request_id, status in ctx.request_ids.items():
        expect(by_id[request_id]["status"] == str(status), by_id[request_id])
    errors = sorted({entry["errorType"] for entry in parsed if entry["errorType"] != "-"})
    return f"{len(ctx.request_ids)} lines, all JSON (error types: {', '.join(errors)})"


def body_change_keeps_the_resource_policy(ctx: Context) -> str:
    """A change of the OpenAPI body (another CORS origin) is an overwrite PutRestApi: the
    resource policy must still be there afterwards, and the API must still answer."""
    apigateway = ctx.target.client("apigateway")
    api_id = ctx.target.outputs["rest_api_id"]
    before = ctx.target.outputs["openapi_document"]
    expect(
        RESOURCE_POLICY_SID in (apigateway.get_rest_api(restApiId=api_id).get("policy") or ""),
        f"no statement {RESOURCE_POLICY_SID} in the API's resource policy before the change",
    )

    ctx.target.reapply({"cors_allowed_origins": [LISTED_ORIGIN, SECOND_ORIGIN]})

    expect(ctx.target.outputs["openapi_document"] != before, "the body did not change")
    policy = apigateway.get_rest_api(restApiId=api_id).get("policy") or ""
    expect(RESOURCE_POLICY_SID in policy, f"resource policy after the body change: {policy!r}")
    body = '{"size": 5, "content_type": "text/csv"}'
    headers = ctx.headers
    for _ in range(30):  # a new deployment takes a few seconds to serve
        answer = curl(ctx, "POST", ctx.target.import_url, headers, body, http2=False)
        if answer.status == 201:
            break
        time.sleep(2)
    expect(answer.status == 201, f"after the body change: {answer.status} {answer.body!r}")
    return f"policy statement {RESOURCE_POLICY_SID} kept; POST /import still 201"


def usage_plans(ctx: Context) -> str:
    """A call without an API key is refused (403 InvalidApiKey); the evaluation consumer's
    daily quota runs out (429 QuotaExceeded, after about EVALUATION_QUOTA calls: API Gateway
    applies quotas on a best-effort basis), and the CLI then says so without retrying."""
    url, body = ctx.target.import_url, '{"size": 5, "content_type": "text/csv"}'
    keyless = {k: v for k, v in ctx.headers.items() if k != "x-api-key"}
    refused = curl(ctx, "POST", url, keyless, body, http2=False)
    expect(refused.status == 403, f"without a key: {refused.status} {refused.body!r}")
    expect(_error_code(refused) == "InvalidApiKey", f"without a key: {refused.body!r}")

    evaluation = {**keyless, "x-api-key": ctx.api_key(EVALUATION)}
    admitted = throttled = 0
    started = time.monotonic()
    while time.monotonic() < started + 300 and admitted <= 2 * EVALUATION_QUOTA:
        answer = curl(ctx, "POST", url, evaluation, body, http2=False)
        if answer.status == 201:
            admitted += 1
        elif answer.status == 429 and _error_code(answer) == "Throttled":
            throttled += 1
            time.sleep(1)
        elif answer.status == 403 and not admitted:  # the new key not in force yet
            expect(time.monotonic() < started + API_KEY_ACTIVATION_SECONDS, answer.body)
            time.sleep(5)
        else:
            break
    expect(answer.status == 429, f"after {admitted} calls: {answer.status} {answer.body!r}")
    expect(_error_code(answer) == "QuotaExceeded", f"after {admitted} calls: {answer.body!r}")
    expect(EVALUATION_QUOTA <= admitted <= 2 * EVALUATION_QUOTA, f"{admitted} calls admitted")

    path = ctx.scratch / "quota.csv"
    path.write_bytes(b"order_id\n1\n")
    code, out, err = ctx.run_cli(
        "upload", str(path), "--json", env={"SIGNED_IMPORT_API_KEY": ctx.api_key(EVALUATION)}
    )
    printed = json.loads(out)
    expect(code == 3 and printed["code"] == "QuotaExceeded", f"exit {code}: {out} {err}")
    expect("quota is used up" in printed["hint"], printed)
    return (
        f"403 InvalidApiKey without a key; QuotaExceeded after {admitted} calls "
        f"({throttled} throttled on the way); the CLI exits 3 at once"
    )


def _refusal(call: Callable[[], object]) -> str | None:
    """The error code an AWS call is refused with, None if it is not."""
    try:
        call()
    except ClientError as refused:
        return str(refused.response.get("Error", {}).get("Code"))
    return None


def malware_scan(ctx: Context) -> str:
    """A clean CSV and the EICAR test file, each uploaded with `--wait-scan`: the clean one
    exits 0 once GuardDuty tagged it NO_THREATS_FOUND, the EICAR one exits 8 with
    threats_found, and `status` shows each result. On AWS the bucket policy then refuses to
    read the EICAR import (tag-based access control) and lets the clean one be read, and
    refuses the scan tag from anyone but GuardDuty: on the stored import, and in an upload."""
    results = {}
    for name, data in (("clean.csv", b"order_id\n1\n"), ("eicar.csv", EICAR)):
        path = ctx.scratch / name
        path.write_bytes(data)
        code, out, _ = ctx.run_cli("upload", str(path), "--json", "--wait-scan", "600")
        printed = json.loads(out)
        results[name] = (code, printed)
        status_code, status_out, _ = ctx.run_cli("status", printed["import_id"], "--json")
        expect(status_code == 0, f"status of {name}: exit {status_code}")
        expect(
            json.loads(status_out)["malware_scan"] == printed["malware_scan"],
            f"status of {name}: {status_out}",
        )
    clean_code, clean = results["clean.csv"]
    eicar_code, eicar = results["eicar.csv"]
    expect(clean_code == 0, f"clean file: exit {clean_code}, {clean}")
    expect(clean["malware_scan"]["status"] == "no_threats_found", clean)
    expect(eicar_code == 8, f"EICAR test file: exit {eicar_code}, {eicar}")
    expect(eicar["malware_scan"]["status"] == "threats_found", eicar)
    if not ctx.target.scans_for_malware:
        return (
            "--wait-scan: exit 0 when clean, 8 for the EICAR file (tagged by the local stand-in "
            "for GuardDuty); the refused read of an unscanned or infected import: AWS only"
        )
    s3 = ctx.target.client("s3")
    s3.get_object(Bucket=ctx.bucket, Key=clean["key"])["Body"].read()
    denied = _refusal(lambda: s3.get_object(Bucket=ctx.bucket, Key=eicar["key"]))
    expect(denied == "AccessDenied", f"reading the infected import: {denied or 'allowed'}")
    # Nobody but GuardDuty sets the scan tag: not on a stored import, not in an upload.
    forged = {"TagSet": [{"Key": SCAN_TAG, "Value": "NO_THREATS_FOUND"}]}
    denied = _refusal(
        lambda: s3.put_object_tagging(Bucket=ctx.bucket, Key=eicar["key"], Tagging=forged)
    )
    expect(denied == "AccessDenied", f"tagging the infected import clean: {denied or 'allowed'}")
    body = "order_id\n2\n"
    created = curl(
        ctx, "POST", ctx.target.import_url, ctx.headers,
        json.dumps({"size": len(body), "content_type": "text/csv"}), http2=False,
    ).json()  # fmt: skip
    tagged = {**created["upload"]["headers"], "x-amz-tagging": f"{SCAN_TAG}=NO_THREATS_FOUND"}
    put = curl(ctx, "PUT", created["upload"]["url"], tagged, body, http2=False)
    expect(put.status == 403, f"an upload carrying the scan tag: {put.status} {put.body!r}")
    return (
        "--wait-scan: exit 0 when clean, 8 for the EICAR file; reading it back, tagging it clean "
        "and uploading with the scan tag are all refused"
    )


def runtime_botocore(ctx: Context) -> str:
    version = ctx.target.runtime_botocore()
    if not version:
        raise CheckFailed("the function's init logged no botocore version")
    numbers = tuple(int(part) for part in version.split(".")[:3])
    expect(numbers >= (1, 36, 0), f"botocore {version}: multipart imports answer 501")
    return f"runtime botocore {version}"


CHECKS: list[Callable[[Context], str]] = [
    single_put,
    many_small_files,
    multipart_interrupted_and_resumed,
    cors_and_errors,
    access_log_is_json,
    usage_plans,
    malware_scan,
    runtime_botocore,
    body_change_keeps_the_resource_policy,  # last: it changes the API
]


@contextmanager
def _timed() -> Iterator[Callable[[], float]]:
    started = time.monotonic()
    yield lambda: time.monotonic() - started


API_KEY_ACTIVATION_SECONDS = 180


def _await_api_key(ctx: Context) -> None:
    """Until the partner's new key is in force: API Gateway answers 403 InvalidApiKey for a
    moment after a key joins a usage plan. An unknown import id is a 404 once it is (the
    evaluation key's first calls are the usage-plan check's, which counts them)."""
    deadline = time.monotonic() + API_KEY_ACTIVATION_SECONDS
    url = f"{ctx.target.import_url}/{'0' * 40}"
    while (answer := curl(ctx, "GET", url, ctx.headers, http2=False)).status == 403:
        expect(time.monotonic() < deadline, f"the partner's key refused: {answer.body!r}")
        time.sleep(5)
    expect(answer.status == 404, f"the partner's key: {answer.status} {answer.body!r}")


def run_all(target: Target, scratch: Path) -> list[Result]:
    """Every check, in order, each reported whatever the others did (none without a token)."""
    with _timed() as elapsed:
        try:
            token = cognito_id_token(target)
        except Exception as err:  # reported, and the run fails
            failed = Result("cognito_id_token", False, f"{type(err).__name__}: {err}", elapsed())
            print(f"FAIL  cognito_id_token: {failed.detail}", file=sys.stderr)
            return [failed]
    ctx = Context(target, token, scratch)
    with _timed() as elapsed:
        try:
            _await_api_key(ctx)
        except Exception as err:  # reported, and the run fails
            failed = Result("api_keys_active", False, f"{type(err).__name__}: {err}", elapsed())
            print(f"FAIL  api_keys_active: {failed.detail}", file=sys.stderr)
            return [failed]
    results = []
    for check in CHECKS:
        with _timed() as elapsed:
            try:
                detail, passed = check(ctx), True
            except Exception as err:  # reported, and the run fails
                detail, passed = f"{type(err).__name__}: {err}", False
        results.append(Result(check.__name__, passed, detail, elapsed()))
        print(f"{'pass' if passed else 'FAIL'}  {check.__name__}: {detail}", file=sys.stderr)
    return results


def empty_bucket(target: Target) -> None:
    """Every object version, delete marker and unfinished upload, so that destroy can delete
    the bucket (examples/complete does not force_destroy it)."""
    s3 = target.client("s3")
    bucket = target.outputs["bucket_name"]
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for kind in ("Versions", "DeleteMarkers")
            for item in page.get(kind, [])
        ]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
