"""Generate the Python code of every .proto under protos/ncms, beside its .proto.

    python protos/generate.py           # (re)generate
    python protos/generate.py --check   # fail if the committed code differs from the protos

The generated modules are committed, so an installed suite never needs the code
generator; CI runs --check so that they cannot drift from the .proto files.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    return sorted(ROOT.glob("ncms/**/*.proto"))


def generate(out_dir: Path) -> None:
    include = str(resources.files("grpc_tools") / "_proto")
    # google/type/*.proto (google.type.Date) ship with googleapis-common-protos.
    from google.type import date_pb2

    common = str(Path(date_pb2.__file__).resolve().parents[2])
    files = [str(p.relative_to(ROOT)) for p in proto_files()]
    args = ["protoc", f"-I{ROOT}", f"-I{include}", f"-I{common}", f"--python_out={out_dir}",
            f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}", *files]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for proto in proto_files():
        package_dir = out_dir / proto.parent.relative_to(ROOT)
        while package_dir != out_dir:
            (package_dir / "__init__.py").touch()
            package_dir = package_dir.parent


def generated_files(base: Path) -> set[Path]:
    return {p.relative_to(base) for p in base.glob("ncms/**/*")
            if p.name.endswith(GENERATED_SUFFIXES) or p.name == "__init__.py"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed code instead of writing it")
    args = parser.parse_args()
    if not args.check:
        generate(ROOT)
        print(f"generated code for {len(proto_files())} proto files")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        expected, actual = generated_files(fresh), generated_files(ROOT)
        problems = [f"missing: {p}" for p in sorted(expected - actual)]
        problems += [f"stale (no .proto): {p}" for p in sorted(actual - expected)]
        problems += [f"differs: {p}" for p in sorted(expected & actual)
                     if not filecmp.cmp(fresh / p, ROOT / p, shallow=False)]
        if problems:
            print("generated code does not match the protos; run `make generate`:", file=sys.stderr)
            for line in problems:
                print("  " + line, file=sys.stderr)
            return 1
    print(f"generated code matches {len(proto_files())} proto files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
