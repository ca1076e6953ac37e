"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


def test_readme_examples_run(capsys):
    namespace = {}
    for block in BLOCKS:  # later blocks reuse names from earlier ones
        exec(compile(block, str(README), "exec"), namespace)
    printed = capsys.readouterr().out
    accuracies = [float(v) for v in re.findall(r"test accuracy: ([0-9.]+)", printed)]
    assert len(accuracies) == 5
    assert min(accuracies) > 0.9, printed


@pytest.mark.parametrize(
    "needle",
    [
        "pip install torch==2.13.0",
        "\npytest\n",
        'pip install -e ".[dev]" && python -m skactive demo',
    ],
)
def test_readme_names_install_and_test_commands(needle):
    assert needle in README.read_text()
