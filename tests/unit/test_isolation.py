"""Per-caller isolation: each caller's keys live under its own partition, and another caller's
import id is a 404 on every route."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .helpers import KEY_PREFIX, LambdaContext, LoadSigner, Response, Signer, route_event

MIB = 1024**2
ACCOUNT = "123456789012"
ALICE = {"userArn": f"arn:aws:iam::{ACCOUNT}:user/alice", "caller": "AIDAALICE"}
BOB = {"userArn": f"arn:aws:iam::{ACCOUNT}:user/bob", "caller": "AIDABOB"}
PARTITION = re.compile(r"[a-z2-7]{26}")


def role_session(session: str, role: str = "importer") -> dict[str, str]:
    return {
        "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "caller": f"AROAROLEID:{session}",
    }


def call(
    signer: Signer,
    method: str,
    resource: str,
    *,
    import_id: str | None = None,
    body: object = None,
    identity: dict[str, Any] | None = None,
    authorizer: dict[str, Any] | None = None,
) -> Response:
    event = route_event(
        method, resource, import_id=import_id, body=body, identity=identity, authorizer=authorizer
    )
    raw = signer.module.handler(event, LambdaContext())
    return Response(raw["statusCode"], raw["headers"], json.loads(raw["body"] or "{}"))


@pytest.fixture
def iam(load_signer: LoadSigner) -> Signer:
    return load_signer(
        CALLER_ISOLATION="iam",
        MULTIPART_ENABLED="true",
        MULTIPART_THRESHOLD_BYTES=str(8 * MIB),
        MAX_UPLOAD_BYTES=str(1024**4),
    )


def create(signer: Signer, identity: dict[str, Any], **fields: Any) -> Response:
    response = call(signer, "POST", "/import", body={"size": 10, **fields}, identity=identity)
    assert response.status == 201, response.body
    return response


def test_keys_live_under_the_callers_partition(iam: Signer) -> None:
    alice = create(iam, ALICE).body
    bob = create(iam, BOB).body

    for body in (alice, bob):
        prefix, partition, import_id = body["key"].split("/")
        assert prefix + "/" == KEY_PREFIX
        assert PARTITION.fullmatch(partition)
        assert import_id == body["import_id"]
    assert alice["key"].split("/")[1] != bob["key"].split("/")[1]
    assert create(iam, ALICE).body["key"].split("/")[1] == alice["key"].split("/")[1]


def test_an_assumed_role_is_the_same_caller_in_every_session(iam: Signer) -> None:
    today = create(iam, role_session("ci-run-1"), multipart=True)
    import_id = today.body["import_id"]

    tomorrow = call(
        iam, "GET", "/import/{import_id}", import_id=import_id, identity=role_session("ci-run-2")
    )
    other_role = call(
        iam,
        "GET",
        "/import/{import_id}",
        import_id=import_id,
        identity=role_session("ci-run-2", role="someone-else"),
    )

    assert (tomorrow.status, tomorrow.body["status"]) == (200, "pending")
    assert other_role.status == 404


ROUTES = [
    ("GET", "/import/{import_id}", None),
    ("DELETE", "/import/{import_id}", None),
    ("GET", "/import/{import_id}/parts", None),
    ("POST", "/import/{import_id}/parts", {"part_numbers": [1]}),
    ("POST", "/import/{import_id}/complete", {"parts": [{"part_number": 1, "etag": '"x"'}]}),
]


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "single-put"])
def test_another_callers_import_is_a_404_on_every_route(iam: Signer, multipart: bool) -> None:
    import_id = create(iam, ALICE, multipart=multipart).body["import_id"]

    for method, resource, body in ROUTES:
        response = call(iam, method, resource, import_id=import_id, body=body, identity=BOB)
        assert response.status == 404, (method, resource, response.body)
        assert response.error_code == "NotFound"
    # Alice still sees it, so the 404s above were about Bob.
    own = call(iam, "GET", "/import/{import_id}", import_id=import_id, identity=ALICE)
    assert (own.status, own.body["status"]) == (200, "pending")


def test_a_request_without_identity_is_refused(iam: Signer) -> None:
    response = call(iam, "POST", "/import", body={"size": 10}, identity={"userArn": None})

    assert (response.status, response.error_code) == (403, "NoCallerIdentity")
    assert iam.object_count() == 0


@pytest.mark.parametrize(
    ("mode", "first", "second", "same"),
    [
        pytest.param(
            "cognito",
            {"claims": {"iss": "https://cognito-idp/pool-a", "sub": "u-1", "email": "a@x"}},
            {"claims": {"iss": "https://cognito-idp/pool-a", "sub": "u-1", "email": "b@x"}},
            True,
            id="cognito-same-sub",
        ),
        pytest.param(
            "cognito",
            {"claims": {"iss": "https://cognito-idp/pool-a", "sub": "u-1"}},
            {"claims": {"iss": "https://cognito-idp/pool-b", "sub": "u-1"}},
            False,
            id="cognito-other-pool",
        ),
        pytest.param(
            "custom", {"principalId": "team-a"}, {"principalId": "team-b"}, False, id="custom"
        ),
    ],
)
def test_authorizer_identities(
    load_signer: LoadSigner, mode: str, first: dict[str, Any], second: dict[str, Any], same: bool
) -> None:
    signer = load_signer(CALLER_ISOLATION=mode)
    created = call(signer, "POST", "/import", body={"size": 10}, authorizer=first)
    assert created.status == 201, created.body

    seen = call(
        signer,
        "GET",
        "/import/{import_id}",
        import_id=created.body["import_id"],
        authorizer=second,
    )

    assert seen.status == (200 if same else 404)


def test_isolation_off_shares_one_namespace(signer: Signer) -> None:
    created = create(signer, ALICE)

    seen = call(
        signer, "GET", "/import/{import_id}", import_id=created.body["import_id"], identity=BOB
    )

    assert created.body["key"] == KEY_PREFIX + created.body["import_id"]
    assert seen.status == 200


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        pytest.param(
            {
                **role_session("CognitoIdentityCredentials", role="Cognito_AppAuth_Role"),
                "cognitoIdentityPoolId": "eu-west-1:pool",
                "cognitoIdentityId": "eu-west-1:alice",
            },
            {
                **role_session("CognitoIdentityCredentials", role="Cognito_AppAuth_Role"),
                "cognitoIdentityPoolId": "eu-west-1:pool",
                "cognitoIdentityId": "eu-west-1:bob",
            },
            False,
            id="identity-pool-users-sharing-a-role",
        ),
        pytest.param(
            role_session("alice@example.com", role="AWSReservedSSO_DataImport_0123456789abcdef"),
            role_session("bob@example.com", role="AWSReservedSSO_DataImport_0123456789abcdef"),
            False,
            id="identity-center-users-of-one-permission-set",
        ),
        pytest.param(
            role_session("alice@example.com", role="AWSReservedSSO_DataImport_0123456789abcdef"),
            role_session("alice@example.com", role="AWSReservedSSO_DataImport_0123456789abcdef"),
            True,
            id="identity-center-user-tomorrow",
        ),
    ],
)
def test_people_behind_one_role_are_told_apart(
    iam: Signer, first: dict[str, Any], second: dict[str, Any], same: bool
) -> None:
    import_id = create(iam, first).body["import_id"]

    seen = call(iam, "GET", "/import/{import_id}", import_id=import_id, identity=second)

    assert seen.status == (200 if same else 404)
