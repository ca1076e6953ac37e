"""``python -m skactive demo``: the loop runs and prints its table."""

import os
import re
import subprocess
import sys

import pytest

from skactive.__main__ import main


def test_demo_prints_accuracy_by_number_of_labels(capsys):
    assert main(["demo", "--budget", "50", "--batch-size", "15"]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("labels"))
    columns = [cell.strip() for cell in header.split("|")[1:]]
    assert columns == [
        f"{model} {strategy}"
        for model in ("logreg", "mlp")
        for strategy in ("random", "entropy", "margin")
    ]
    rows = re.findall(r"^\s*(\d+) \|(.*)$", printed, flags=re.M)
    assert [int(count) for count, _ in rows] == [20, 35, 50]
    for _, cells in rows:
        accuracies = [float(cell) for cell in cells.split("|")]
        assert len(accuracies) == 6
        assert all(0.3 < value <= 1.0 for value in accuracies)
    # The same initial set for every strategy: the first row agrees per model.
    first = [float(cell) for cell in rows[0][1].split("|")]
    assert first[0] == first[1] == first[2]
    assert first[3] == first[4] == first[5]


def test_demo_runs_as_a_module():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skactive",
            "demo",
            "--budget=30",
            "--estimators=logreg",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )
    assert "logreg margin" in result.stdout
    assert re.search(r"^\s+30 \|", result.stdout, flags=re.M)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--budget", "5"], "must be at least --n-initial"),
        (["demo", "--batch-size", "0"], "must be a positive integer"),
        (["demo", "--estimators", "forest"], "invalid choice"),
    ],
)
def test_demo_rejects_bad_options(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err
