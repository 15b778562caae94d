"""The ncms command's start-up: `ncms --help` and other commands that need no service,
each beside `python -c pass` measured in the same run.

    python -m benchmarks cli [--runs 20]

Every figure is the wall time of a new process, from start to exit, as an
administrator's shell sees it; runs alternate between the commands, and the median and
the 90th percentile of each are kept. Goal: `ncms --help` under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .harness import median_of, ratio_line

GOAL_MS = 300.0


def _ncms() -> list[str]:
    """The installed command (as people run it), else the module through this Python."""
    script = Path(sys.executable).parent / "ncms"
    if script.exists():
        return [str(script)]
    found = shutil.which("ncms")
    return [found] if found else [sys.executable, "-c", "from cli.main import main; main()"]


def commands() -> list[tuple[str, list[str]]]:
    ncms = _ncms()
    return [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
        ("ncms --help", [*ncms, "--help"]),
        ("ncms --version", [*ncms, "--version"]),
        ("ncms hospital rotate-key --help", [*ncms, "hospital", "rotate-key", "--help"]),
        ("ncms user add (a usage mistake)", [*ncms, "user", "add"]),
    ]


def run_once(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment, check=False)
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (default 20)")
    args = parser.parse_args(argv)
    environment = dict(os.environ, LANG="zh_CN.UTF-8")  # the default language: its catalogue loaded
    measured = commands()
    for _label, command in measured:  # warm the file cache
        run_once(command, environment)
    times: dict[str, list[float]] = {label: [] for label, _command in measured}
    for _ in range(args.runs):
        for label, command in measured:
            times[label].append(run_once(command, environment))
    baseline = median_of(times[measured[0][0]])
    for label, _command in measured:
        print(f"{label:<44} median {median_of(times[label]):6.0f} ms   p90 {percentile(times[label], 90):6.0f} ms")
    for label, _command in measured[1:]:
        print(ratio_line(f"ratio {label} / python -c pass", median_of(times[label]), baseline))
    help_ms = median_of(times["ncms --help"])
    print(f"{'ncms --help':<44} {help_ms:6.0f} ms   goal < {GOAL_MS:.0f} ms: "
          + ("met" if help_ms < GOAL_MS else "NOT met"))
