"""``python -m skactive demo``: runs the protocol, prints its table, saves the PNG."""

import os
import re
import subprocess
import sys

import pytest

from skactive.cli import main


def _table(printed):
    """Rows of the Markdown table, as {strategy: [cells]}."""
    rows = {}
    for line in printed.splitlines():
        if line.startswith("| ") and not line.startswith("| strategy"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_demo_prints_the_table_and_saves_the_plot(capsys, tmp_path):
    argv = ["demo", "--budget", "60", "--repeats", "2", "--n-jobs", "1"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("| str"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    assert columns[0] == "strategy" and columns[-5] == "AULC"
    assert columns[-4].startswith("labels to ")
    assert columns[-3:] == ["reduction ratio", "fit s", "query s"]
    # Four checkpoints ending at the budget.
    counts = [int(column.split("@")[1]) for column in columns[1:-5]]
    assert len(counts) == 4 and counts[-1] == 60
    rows = _table(printed)
    assert list(rows) == ["random", "entropy", "margin", "least_confidence"]
    for cells in rows.values():
        accuracies = [float(cell) for cell in cells[:4]]
        assert all(0.3 < value <= 1.0 for value in accuracies)
        area, spread = (float(part) for part in cells[4].split("±"))
        assert 0.3 < area <= 1.0 and spread >= 0
    assert rows["random"][6] == "1.00x"
    png = tmp_path / "learning_curve_digits_logreg.png"
    assert f"saved to {png}" in printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


def test_demo_says_when_a_strategy_loses_to_random(capsys, tmp_path, monkeypatch):
    from skactive.cli import _demo

    def worse_than_random():
        from skactive.strategies import UncertaintySampling

        # Querying the most *confident* samples first: a strategy that loses.
        return {"confident": UncertaintySampling(acquisition_fn=_confidence)}

    monkeypatch.setattr(_demo, "uncertainty_strategies", worse_than_random)
    main(["demo", "--budget", "80", "--repeats", "2", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert re.search(r"Note: confident loses to random sampling here \(AULC", printed)


def _confidence(proba):
    return proba.max(axis=1)


def test_demo_on_mnist1d(capsys, tmp_path):
    pytest.importorskip("mnist1d")
    argv = ["demo", "--dataset", "mnist1d", "--budget", "150", "--repeats", "1"]
    main([*argv, "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "mnist1d (2500 pool / 2500 test), logreg, 50 random labels" in printed
    assert "batches of 50 up to 150" in printed
    assert (tmp_path / "learning_curve_mnist1d_logreg.png").exists()


@pytest.mark.parametrize(
    ("dataset", "estimator", "strategies", "score"),
    [
        ("diabetes", "ridge", ["random", "iGS", "GSx", "GSy", "EMCM"], "r2"),
        ("diabetes", "mlp", ["random", "iGS", "GSx", "GSy", "EMCM"], "r2"),
        (
            "multilabel",
            "logreg",
            [
                "random",
                "uncertainty (mean)",
                "uncertainty (max)",
                "MMC",
                "cardinality",
            ],
            "f1_micro",
        ),
    ],
)
def test_demo_on_regression_and_multilabel_sets(
    capsys, tmp_path, dataset, estimator, strategies, score
):
    argv = ["demo", "--dataset", dataset, "--budget", "60", "--repeats", "2"]
    if estimator != "ridge":  # ridge is the regression set's default
        argv += ["--estimator", estimator]
    main([*argv, "--n-jobs", "1", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("| str"))
    assert f"| {score} @60 |" in header
    rows = _table(printed)
    assert list(rows) == strategies
    at_budget = [cell.strip() for cell in header.strip("|").split("|")].index(
        f"{score} @60"
    )
    for cells in rows.values():
        final = float(cells[at_budget - 1])
        assert 0.05 < final <= 1.0, printed  # R² and F1 of a model that learned
    assert f"AULC: mean {score} over the label range" in printed
    assert (tmp_path / f"learning_curve_{dataset}_{estimator}.png").exists()


def test_demo_runs_as_a_module(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skactive",
            "demo",
            "--budget=40",
            "--repeats=1",
            "--estimator=mlp",
            f"--out={tmp_path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )
    rows = _table(result.stdout)
    assert set(rows) == {"random", "entropy", "margin", "least_confidence"}
    for cells in rows.values():
        area = float(cells[-5].split("±")[0])
        assert 0.3 < area <= 1.0
    assert (tmp_path / "learning_curve_digits_mlp.png").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--budget", "5"], "must be at least --n-initial"),
        (["demo", "--batch-size", "0"], "must be a positive integer"),
        (["demo", "--repeats", "0"], "must be a positive integer"),
        (["demo", "--estimator", "forest"], "invalid choice"),
        (["demo", "--dataset", "mnist"], "invalid choice"),
        (["demo", "--dataset", "diabetes", "--estimator", "logreg"], "regression"),
        (["demo", "--estimator", "ridge"], "does not fit a classification task"),
    ],
)
def test_demo_rejects_bad_options(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_every_demo_option_has_help_text(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = capsys.readouterr().out.split("options:")[1]
    # One block per option: its signature, then its help (same line or next).
    blocks = re.split(r"\n(?=  -)", text.strip("\n"))
    assert len(blocks) == 11  # -h and the ten demo options
    for block in blocks:
        signature, _, rest = block.strip().partition("  ")
        assert rest.strip(), f"{signature} has no help text"
