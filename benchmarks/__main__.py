"""python -m benchmarks NAME [options]: run one benchmark (or `all`)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "identity": "benchmarks.identity_bench",
    "gateway": "benchmarks.gateway_bench",
    "catalog": "benchmarks.catalog_bench",
    "enrollment": "benchmarks.enrollment_bench",
    "settlement": "benchmarks.settlement_bench",
    "supervision": "benchmarks.supervision_bench",
    "cli": "benchmarks.cli_bench",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS), "or all")
        return
    name, rest = sys.argv[1], sys.argv[2:]
    names = list(BENCHMARKS) if name == "all" else [name]
    for each in names:
        if each not in BENCHMARKS:
            sys.exit(f"unknown benchmark {each!r}; choose from {', '.join(BENCHMARKS)} or all")
        print(f"== {each}")
        importlib.import_module(BENCHMARKS[each]).main(rest)


if __name__ == "__main__":
    main()
