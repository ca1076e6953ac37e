"""Import time: what a newcomer waits for before the first line runs (issue 15).

Each statement runs in a fresh interpreter ``--repeats`` times; the table gives
the median wall time, and scikit-learn's and torch's own imports as the floor
and the reference. ``--before PATH`` also times a checkout of an older skactive
(``git worktree add PATH <rev>``), run from that checkout's root.

Run: python benchmarks/bench_import.py [--repeats 7] [--before /tmp/before]
Writes benchmarks/results/bench_import.md.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = RESULTS.parents[1]
STATEMENTS = [
    ("import skactive", "skactive"),
    ("from skactive import ActiveLearner", "skactive"),
    (
        "from skactive import ActiveLearner, UncertaintySampling; "
        "import skactive.strategies",
        "skactive",
    ),
    ("from skactive import TorchMLPClassifier", "skactive"),
    ("import sklearn.base", "floor: scikit-learn"),
    ("import torch", "reference"),
]


def _seconds(statement, root):
    # ``python -c`` puts its working directory first on sys.path, ahead of the
    # installed (editable) skactive: run in the checkout to time.
    # Bytecode caches are written (a first run warms them), as in a user's
    # environment; this machine's PYTHONDONTWRITEBYTECODE would time compiling.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=root, env=env, check=True)
    return time.perf_counter() - start


def _median(statement, root, repeats):
    _seconds(statement, root)  # warm the bytecode caches
    return statistics.median(_seconds(statement, root) for _ in range(repeats))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--before", default=None, help="an older checkout's root")
    args = parser.parse_args()
    header = "| statement | kind | now (s) |"
    rule = "|---|---|---|"
    if args.before:
        header, rule = header + " before (s) | before / now |", rule + "---|---|"
    lines = [
        "# Import time (benchmarks/bench_import.py)",
        "",
        f"Python {platform.python_version()}, {os.cpu_count()} cores; median of "
        f"{args.repeats} fresh interpreters each, after one that writes the "
        "bytecode caches (wall time, interpreter start included).",
        "",
        header,
        rule,
    ]
    for statement, kind in STATEMENTS:
        now = _median(statement, ROOT, args.repeats)
        row = f"| `{statement}` | {kind} | {now:.2f} |"
        if args.before:
            if kind == "skactive":
                before = _median(statement, args.before, args.repeats)
                row += f" {before:.2f} | {before / now:.1f}x |"
            else:
                row += " | |"
        lines.append(row)
        print(row, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_import.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
