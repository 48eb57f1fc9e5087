"""Contract fuzzing: schemathesis against the deployed module's local API, driven by its own
`openapi_document` output.

Every operation of the document is fuzzed with valid and invalid data (the coverage, fuzzing and
stateful phases), through the local gateway, which applies the document's request validators
and gateway responses as API Gateway does, in front of the signer loaded from the deployed zip.
No response may be a 5xx; each must have a status the operation documents, bodies must match
the documented schema (2xx: the operation's model; errors: the module's exact error shape), and
requests that violate the schema must be refused.

Stateful sequences follow links. The document declares none, so the test adds them to a copy
(`with_links`): create -> sign part 1 / list parts / status / abort / complete; sign -> list /
status; list -> complete with the ETag S3 answered for part 1 / abort; complete -> status /
complete again / abort / list; abort -> status / list / abort again. Nothing else of the
document is changed (asserted). The hooks (schemathesis_hooks.py) upload the bytes of small
imports and parts through the URLs the API signs, and mix consumer-like bodies into the
generated ones, so that sequences meet imports with parts and complete ones, not only empty.

CI runs a short bounded form (fixed seed); `make fuzz` a longer one (CONTRACT_EXAMPLES, random
seed). Figures are written to build/adversarial/contract.json.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPORTS, Deployment

HERE = Path(__file__).resolve().parent
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "25"))
SEED = os.environ.get("CONTRACT_SEED", "20261125")  # "random": a new seed each run
CREATED = {"path.import_id": "$response.body#/import_id"}
SAME = {"path.import_id": "$request.path.import_id"}
PART_1 = {
    "parts": [
        {
            "part_number": "$response.body#/parts/0/part_number",
            "etag": "$response.body#/parts/0/etag",
        }
    ]
}
# A link's request body replaces the generated one (schemathesis merges them otherwise).
REPLACE_BODY = {"x-schemathesis": {"merge_body": False}}
# (path, method, status) -> the links of that response.
LINKS: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("/import", "post", "201"): {
        "SignPart1": {
            "operationId": "signParts",
            "parameters": CREATED,
            "requestBody": {"part_numbers": [1]},
            **REPLACE_BODY,
        },
        "ListParts": {"operationId": "listParts", "parameters": CREATED},
        "GetImport": {"operationId": "getImport", "parameters": CREATED},
        "AbortImport": {"operationId": "abortImport", "parameters": CREATED},
        "CompleteImport": {"operationId": "completeImport", "parameters": CREATED},
    },
    ("/import/{import_id}/parts", "post", "200"): {
        "ListParts": {"operationId": "listParts", "parameters": SAME},
        "GetImport": {"operationId": "getImport", "parameters": SAME},
    },
    ("/import/{import_id}/parts", "get", "200"): {
        "CompleteWithPart1": {
            "operationId": "completeImport",
            "parameters": CREATED,
            "requestBody": PART_1,
            **REPLACE_BODY,
        },
        "AbortImport": {"operationId": "abortImport", "parameters": CREATED},
    },
    ("/import/{import_id}/complete", "post", "200"): {
        "GetImport": {"operationId": "getImport", "parameters": CREATED},
        "CompleteAgain": {
            "operationId": "completeImport",
            "parameters": CREATED,
            "requestBody": "$request.body",
            **REPLACE_BODY,
        },
        "AbortCompleted": {"operationId": "abortImport", "parameters": CREATED},
        "ListPartsOfCompleted": {"operationId": "listParts", "parameters": CREATED},
    },
    ("/import/{import_id}", "delete", "204"): {
        "GetAborted": {"operationId": "getImport", "parameters": SAME},
        "ListAbortedParts": {"operationId": "listParts", "parameters": SAME},
        "AbortAgain": {"operationId": "abortImport", "parameters": SAME},
    },
}


def with_links(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the document with LINKS on the responses they start from."""
    linked = copy.deepcopy(document)
    for (path, method, status), links in LINKS.items():
        linked["paths"][path][method]["responses"][status]["links"] = links
    return linked


def without_links(document: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(document)
    for item in stripped["paths"].values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                response.pop("links", None)
    return stripped


def test_links_change_nothing_else_in_the_document(deployment: Deployment) -> None:
    linked = with_links(deployment.document)
    assert without_links(linked) == deployment.document
    assert without_links(deployment.document) == deployment.document, "the output has links now"


def run_schemathesis(deployment: Deployment, workdir: Path) -> tuple[dict[str, Any], str, Path]:
    """Run the CLI; its JSON report, its console output and the ledger path."""
    schema = workdir / "openapi.json"
    schema.write_text(json.dumps(with_links(deployment.document)))
    report, ledger = workdir / "report.json", workdir / "ledger.json"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "--no-color",
        "run",
        str(schema),
        "--url",
        deployment.api.invoke_url,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "CONTRACT_LEDGER": str(ledger),
        "SCHEMATHESIS_TELEMETRY": "false",
    }
    result = subprocess.run(
        command,
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    output = result.stdout + result.stderr
    (REPORTS / "contract-output.txt").parent.mkdir(parents=True, exist_ok=True)
    (REPORTS / "contract-output.txt").write_text(output)
    assert report.exists(), output[-5000:]
    summary: dict[str, Any] = json.loads(report.read_text())
    assert result.returncode == 0, output[-8000:]
    return summary, output, ledger


def test_every_operation_fuzzed_without_a_5xx_or_an_undocumented_answer(
    deployment: Deployment, tmp_path: Path
) -> None:
    calls_before = deployment.function.calls
    summary, output, ledger = run_schemathesis(deployment, tmp_path)

    operations = summary["operations"]
    documented = sum(len(item) for item in deployment.document["paths"].values())
    assert operations["selected"] == operations["tested"] == documented >= 6
    assert operations["errored"] == 0
    assert summary["failures"] == []
    assert summary["errors"] == []
    for phase in ("coverage", "fuzzing", "stateful"):
        assert summary["phases"][phase]["status"] == "success", summary["phases"]
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total", output)
    assert links is not None, output[-3000:]
    covered, total = int(links.group(1)), int(links.group(3))
    assert total >= sum(len(links) for links in LINKS.values())

    responses: list[tuple[str, int]] = [tuple(entry) for entry in json.loads(ledger.read_text())]
    statuses = Counter(f"{operation} {status}" for operation, status in responses)
    server_errors = sum(1 for _, status in responses if status >= 500)
    reached = {operation for operation, status in responses if 200 <= status < 300}
    figures = {
        "seed": summary["seed"],
        "max_examples": EXAMPLES,
        "operations_fuzzed": operations["tested"],
        "cases_generated": summary["test_cases"]["generated"],
        "responses_recorded": len(responses),
        "server_errors": server_errors,
        "links_covered": covered,
        "links_total": total,
        "function_invocations": deployment.function.calls - calls_before,
        "operations_with_a_2xx": sorted(reached),
        "statuses": dict(sorted(statuses.items())),
        "running_time_s": round(summary["running_time"], 1),
    }
    (REPORTS / "contract.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))

    assert server_errors == 0
    # A run that never gets past the refusals tests only them. Which other operations succeed
    # varies from run to run (schemathesis picks links with true randomness): reported above.
    assert {"POST /import", "GET /import/{import_id}"} <= reached, sorted(reached)
    assert covered >= len(LINKS[("/import", "post", "201")]), "no sequence went past creation"


@pytest.fixture(autouse=True)
def _reports_dir() -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
