"""`make load`: concurrent consumers on a fresh local stack, measured per route.

    python benchmarks/load.py [--consumers 50] [--imports 20] [--out build/load.md]

applies examples/local on a fresh moto_server (as `make demo` does), serves the deployed
function in a process of its own (localdev.serve), runs the load of localdev.load (what each
consumer does and how every exchange is timed is told there), checks every object against what
its consumer sent, writes the table, and destroys the stack.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from localdev import REPOSITORY
from localdev.emulator import MotoServer
from localdev.load import LoadResult, report, run_load, verify
from localdev.serve import served
from localdev.stack import PACKAGE, deployed


def _deployed_run(args: argparse.Namespace, echo: Callable[[str], None]) -> LoadResult:
    with MotoServer() as moto, tempfile.TemporaryDirectory(prefix="load-tf-") as state:
        echo("terraform apply examples/local on moto_server (about a minute)…")
        with deployed(moto, Path(state)) as stack:
            document = json.loads(stack.outputs["openapi_document"])
            with served(
                document,
                stack.outputs["stage_name"],
                stack.function,
                PACKAGE,
                moto.client_env(),
                method_settings=stack.method_settings,
            ) as invoke_url:
                echo(f"{args.consumers} consumers x {args.imports} imports against {invoke_url}…")
                result = run_load(
                    f"{invoke_url}/import",
                    consumers=args.consumers,
                    imports=args.imports,
                    multipart_every=args.multipart_every,
                    seed=args.seed,
                )
                verify(result, moto.client("s3"), stack.outputs["bucket_name"])
            echo("terraform destroy…")
    return result


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/load.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--consumers", type=int, default=50)
    parser.add_argument("--imports", type=int, default=20, help="imports per consumer")
    parser.add_argument("--multipart-every", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPOSITORY / "build" / "load.md")
    args = parser.parse_args(list(argv) if argv is not None else None)

    def echo(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    result = _deployed_run(args, echo)
    command = "make load" + (
        f' LOAD_FLAGS="--consumers {args.consumers} --imports {args.imports}"'
        if (args.consumers, args.imports) != (50, 20)
        else ""
    )
    table = report(result, title="Load on the local stack", command=command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    print(table)
    echo(f"written to {args.out}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
