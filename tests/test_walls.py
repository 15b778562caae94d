"""The walls between the packages are code: `make lint` runs import-linter with the
contracts in pyproject.toml. Here each wall is breached on purpose in a copy of the
tree, and the linter must fail naming that wall; the untouched copy must pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("runtime", "legacy", "services", "gateway", "hospital", "cli", "console", "benchmarks")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file to add a line to, the line, the start of the contract it must break)
BREACHES = [
    ("services/settlement/repository.py", "import services.catalog.models",
     "Services never import one another"),
    ("gateway/app.py", "import services.settlement.models",
     "The gateway, the hospital's service and the ncms command never import a service"),
    ("cli/main.py", "from services.identity import repository",
     "The gateway, the hospital's service and the ncms command never import a service"),
    ("services/identity/server.py", "import gateway.app",
     "Services, the plumbing and the legacy library import no application"),
    ("hospital/server.py", "import gateway.backends",
     "The gateway and the hospital's service share only the legacy library"),
    ("gateway/server.py", "import cli.main", "Nothing imports the ncms command or the benchmarks"),
    ("cli/main.py", "import benchmarks.harness", "Nothing imports the benchmarks"),
    ("runtime/db.py", "import legacy.tables", "The plumbing is the bottom layer"),
    ("services/catalog/api/catalog.py", "from legacy import tables",
     "Legacy words stop at the edge"),
    ("services/settlement/calculation.py", "import grpc", "Domain modules are plain functions"),
    ("services/settlement/bills.py", "from sqlalchemy.orm import Session", "Domain modules are plain functions"),
    ("services/catalog/mapping.py", "from ncms.catalog.v1 import catalog_pb2",
     "Domain modules are plain functions"),
    ("services/identity/passwords.py", "import urllib.request", "Domain modules are plain functions"),
    ("console/app.py", "from services.catalog import repository",
     "The web console calls the services over gRPC"),
    ("console/views/funds.py", "import legacy.digest", "The web console calls the services over gRPC"),
    ("services/catalog/api/catalog.py", "import console.app",
     "Services, the plumbing and the legacy library import no application"),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the packages and the linter's configuration."""
    copy = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=ignore)
    shutil.copytree(ROOT / "protos" / "ncms", copy / "ncms", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def lint(tree: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(tree), COLUMNS="200")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_tree_as_it_is_keeps_every_wall(tree):
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("path", "line", "contract"), BREACHES, ids=[f"{b[0]}:{b[1]}" for b in BREACHES])
def test_a_breach_fails_the_lint_naming_its_wall(tree, path, line, contract):
    target = tree / path
    original = target.read_text(encoding="utf-8")
    target.write_text(f"{original}\n{line}  # a deliberate breach\n", encoding="utf-8")
    try:
        result = lint(tree)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.stdout
    assert "Broken contracts" in result.stdout, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken, result.stdout


def _architecture_tree() -> dict[str, str]:
    """The entries of docs/architecture.md's tree: a folder, and what its lines say of it."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## The tree", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        if not line.strip():
            continue
        if line[0] != " " and all(word.endswith("/") for word in line.split()):
            # a line of bare folders ("tests/  benchmarks/  docs/  deploy/")
            entries.update(dict.fromkeys(line.split(), ""))
            current = None
        elif line[0] != " ":
            current, _, description = line.partition(" ")
            entries[current] = description.strip()
        elif current is not None:
            entries[current] += " " + line.strip()
    return entries


def _folders(entry: str) -> list[Path]:
    """The folders an entry stands for: services/<service>/ is each service."""
    parts = entry.rstrip("/").split("/")
    folders = [ROOT]
    for part in parts:
        if part.startswith("<"):
            folders = [child for folder in folders for child in sorted(folder.iterdir())
                       if child.is_dir() and not child.name.startswith(("_", "."))]
        else:
            folders = [folder / part for folder in folders]
    return folders


def test_the_architecture_tree_and_the_folders_agree():
    tree = _architecture_tree()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    top_folders = {path.split("/")[0] for path in tracked if "/" in path and not path.startswith(".")}
    named_top = {entry.split("/")[0] for entry in tree}
    assert top_folders <= named_top, f"folders missing from the tree: {sorted(top_folders - named_top)}"
    for entry, description in tree.items():
        for folder in _folders(entry):
            assert folder.is_dir(), f"the tree names {entry}, and {folder} is not a folder"
            for name in re.findall(r"[\w.]+\.py|\b[a-z_]+/(?=[\s)]|$)", description):
                found = list(folder.rglob(name.rstrip("/")))
                assert found, f"{entry}: the tree names {name}, which is not under {folder}"
    legacy = {path.stem for path in (ROOT / "legacy").glob("*.py") if path.stem != "__init__"}
    words = set(re.findall(r"\w+", tree["legacy/"]))
    assert legacy <= words, f"legacy modules missing from the tree: {sorted(legacy - words)}"
