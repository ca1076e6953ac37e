"""The architecture's rules, checked on the source: sizes, private names, layers.

``lint-imports`` (run by CI) checks that no layer imports one above it; these
tests check what it cannot see: that every module is in a layer, that private
names stay inside their module, and that files and functions stay small.
"""

import ast
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "skactive"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree(path):
    return ast.parse(path.read_text(), filename=str(path))


def _private_imports(path):
    """``(line, module, name)`` of private names imported from another module."""
    found = []
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.ImportFrom) or node.module is None:
            continue
        if node.module == "skactive.utils._compat":
            continue  # the one door to scikit-learn's private helpers
        if not node.module.startswith(("skactive", "sklearn")):
            continue
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append((node.lineno, node.module, alias.name))
    return found


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "_compat.py"], ids=_module_name
)
def test_no_private_name_crosses_a_module(path):
    assert _private_imports(path) == []


def test_the_private_name_check_finds_a_private_import(tmp_path):
    # The rule above must be able to fail.
    offender = tmp_path / "offender.py"
    offender.write_text(
        "from skactive.models import _pipeline_head\n"
        "from sklearn.base import _fit_context\n"
        "from skactive.utils._compat import _fit_context as allowed\n"
    )
    assert [name for _, _, name in _private_imports(offender)] == [
        "_pipeline_head",
        "_fit_context",
    ]


def _code_lines(path):
    """Lines of a module that are not docstrings: the cap measures code, so
    documenting a function never decides where a module is cut."""
    docstring_lines = set()
    for node in ast.walk(_tree(path)):
        if not isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            continue
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            if isinstance(first.value.value, str):
                docstring_lines.update(range(first.lineno, first.end_lineno + 1))
    lines = path.read_text().splitlines()
    return sum(
        1 for number, line in enumerate(lines, 1) if number not in docstring_lines
    )


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_modules_are_under_500_lines_of_code(path):
    assert _code_lines(path) <= MAX_FILE_LINES


def test_the_line_count_leaves_docstrings_out(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        '"""Module.\n\nMore.\n"""\n\n\ndef f():\n    """Doc."""\n    return 1\n'
    )
    assert _code_lines(module) == 4  # two blank lines, the def and the return


def _long_functions(path):
    """Functions whose code, docstring aside, runs over the limit."""
    long = []
    for node in ast.walk(_tree(path)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        if body and body[-1].end_lineno - body[0].lineno + 1 > MAX_FUNCTION_LINES:
            long.append(node.name)
    return long


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_functions_fit_on_a_screen(path):
    assert _long_functions(path) == []


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if not p.name.startswith("_") or p.name == "__init__.py"],
    ids=_module_name,
)
def test_public_modules_declare_all(path):
    names = {
        target.id
        for node in _tree(path).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    if path.name == "__main__.py" or (
        path.parent.name == "utils" and path.stem == ("__init__")
    ):
        return
    assert "__all__" in names


def _contracts():
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    return pyproject["tool"]["importlinter"]["contracts"]


def _layer_members(contract):
    members = set()
    for layer in contract["layers"]:
        for delimiter in ("|", ":"):
            layer = layer.replace(delimiter, " ")
        members.update(layer.split())
    return members


def test_every_module_sits_in_a_declared_layer():
    """A new module must be placed in the layering, or lint-imports would not
    check it against the others."""
    by_container = {
        contract["containers"][0]: _layer_members(contract)
        for contract in _contracts()
        if contract["type"] == "layers"
    }
    for container, members in by_container.items():
        directory = PACKAGE.parent.joinpath(*container.split("."))
        children = {
            path.stem if path.is_file() else path.name
            for path in directory.iterdir()
            if (path.suffix == ".py" and path.stem != "__init__")
            or (path.is_dir() and (path / "__init__.py").exists())
        }
        assert children == members, container
