"""One cold start in a fresh interpreter: import a handler, answer one POST /import (single PUT).

Started by bench_handler.py, once per measured process, with the function's environment:

    python benchmarks/cold_start.py module|classic ZIP BODY

`module` imports `signed_import.handler` from ZIP (as Lambda does from the deployment package);
`classic` imports classic_handler.py from this directory. awscrt is hidden first, as the Lambda
runtime has none: botocore imports it whenever it is installed, BOTO_DISABLE_CRT or not.

Prints one JSON line: seconds spent importing and answering, and the number of modules loaded
before the import and after the first call. Only `sys`, `time` and `importlib` (a thin layer
over the interpreter's own import system) are imported before the clock starts, and `json` only
after it stops.
"""

from __future__ import annotations

import importlib
import sys
import time


def loaded() -> int:
    return sum(module is not None for module in sys.modules.values())


def main() -> int:
    kind, zip_path, body = sys.argv[1:4]
    event = {
        "resource": "/import",
        "path": "/import",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": body,
        "isBase64Encoded": False,
    }
    sys.modules["awscrt"] = None  # type: ignore[assignment]  # import awscrt: ImportError
    modules_before = loaded()
    started = time.perf_counter()
    if kind == "module":
        sys.path.insert(0, zip_path)
        handler = importlib.import_module("signed_import.handler").handler
    else:
        handler = importlib.import_module("classic_handler").handler
    imported = time.perf_counter()
    response = handler(event, None)
    answered = time.perf_counter()
    modules_after = loaded()

    import json  # noqa: PLC0415 (after the clock: not part of the cold start)

    print(
        json.dumps(
            {
                "status": response["statusCode"],
                "import_s": imported - started,
                "first_call_s": answered - imported,
                "modules_before": modules_before,
                "modules_after": modules_after,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
