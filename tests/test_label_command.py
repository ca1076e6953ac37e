"""``python -m skactive label``: the demo from a fresh process, pools from
files, and a clear error for each bad argument."""

import argparse
import os
import re
import signal
import subprocess
import sys

import httpx
import numpy as np
import pandas as pd
import pytest

from skactive.cli import main
from skactive.cli._label import load_pool


def _serve(*arguments):
    command = [sys.executable, "-m", "skactive", "label", *arguments, "--port", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Labeling page:"):
            return process, line.split(": ", 1)[1].strip(), lines
    raise AssertionError("".join(lines))


def _stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0  # a clean stop on SIGTERM


def test_the_demo_serves_digits_with_the_default_net(tmp_path):
    process, page, lines = _serve("--demo", "--url", f"sqlite:///{tmp_path / 'd.db'}")
    try:
        assert "1797 items, 0 labeled" in lines[0]
        base = page.split("/?")[0]
        assert base.startswith("http://127.0.0.1:")
        assert "skactive labeling" in httpx.get(page).text
        config = httpx.get(f"{base}/api/config").json()
        assert config["classes"] == list(range(10)) and config["kind"] == "image"
        assert config["budget"] == 200
        items = httpx.get(f"{base}/api/next").json()["items"]
        assert len(items) == 10
        for item in items[:3]:
            answer = httpx.post(
                f"{base}/api/submit", json={"item_id": item, "label": 1}
            )
            assert answer.status_code == 200
    finally:
        _stop(process)
    process, page, lines = _serve("--demo", "--url", f"sqlite:///{tmp_path / 'd.db'}")
    _stop(process)
    assert "3 labeled" in lines[0]  # the second run resumes


def test_a_public_interface_gets_a_token_made_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    process, page, _ = _serve(
        "--demo", "--estimator", "logreg", "--url", url, "--host", "0.0.0.0"
    )
    try:
        token = re.search(r"token=([\w-]+)", page).group(1)
        assert len(token) >= 24
        base = page.split("/?")[0].replace("0.0.0.0", "127.0.0.1")
        assert httpx.get(f"{base}/api/config").status_code == 401
        assert (
            httpx.get(f"{base}/api/config", params={"token": token}).status_code == 200
        )
    finally:
        _stop(process)


def _args(**values):
    defaults = {
        "demo": False,
        "data": None,
        "classes": None,
        "image_shape": None,
        "text_column": None,
        "id_column": None,
    }
    return argparse.Namespace(**(defaults | values))


def test_pools_from_files(tmp_path):
    images = np.random.RandomState(0).rand(6, 4, 5)
    np.save(tmp_path / "images.npy", images)
    X, options, classes = load_pool(
        _args(data=str(tmp_path / "images.npy"), classes="a, b")
    )
    assert X.shape == (6, 20) and X.dtype == np.float32 and classes == ["a", "b"]
    assert options["display"] is not None and options["display"].shape == (6, 4, 5)
    frame = pd.DataFrame({"key": ["k1", "k2"], "text": ["x", "y"], "f": [1.0, 2.0]})
    frame.to_csv(tmp_path / "table.csv", index=False)
    args = _args(data=str(tmp_path / "table.csv"), classes="p,n")
    X, options, _ = load_pool(
        _args(**vars(args) | {"text_column": "text", "id_column": "key"})
    )
    assert list(X.columns) == ["f"] and options["display"] == ["x", "y"]
    assert options["ids"].tolist() == ["k1", "k2"]
    flat = np.zeros((3, 64))
    np.save(tmp_path / "flat.npy", flat)
    args = _args(data=str(tmp_path / "flat.npy"), classes="a,b", image_shape="8x8")
    assert load_pool(args)[1]["image_shape"] == (8, 8)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "needs a pool and its classes"),
        (["pool.npy"], "needs a pool and its classes"),
        (["pool.txt", "--classes", "a,b"], ".npy, .csv or .parquet"),
        (["pool.npy", "--classes", "a"], "at least two labels"),
        (["pool.npy", "--classes", "a,b", "--image-shape", "8by8"], "--image-shape"),
        (
            ["table.csv", "--classes", "a,b", "--text-column", "nope"],
            "no column 'nope'",
        ),
        (["words.csv", "--classes", "a,b"], "no numeric column"),
        (["pool.npy", "--classes", "a,b", "--budget", "0"], "positive integer"),
        (["pool.npy", "--classes", "a,b"], "--url is needed"),
    ],
)
def test_bad_arguments_are_clear_errors(
    tmp_path, monkeypatch, capsys, arguments, message
):
    monkeypatch.chdir(tmp_path)
    np.save("pool.npy", np.zeros((3, 2)))
    pd.DataFrame({"f": [1.0]}).to_csv("table.csv", index=False)
    pd.DataFrame({"w": ["a"]}).to_csv("words.csv", index=False)
    with pytest.raises(SystemExit) as stopped:
        main(["label", *arguments])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("*.db"))  # nothing created
