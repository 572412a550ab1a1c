"""The web layer's shape: the blueprint imports the views, the views import the request
helpers (web/request.py), nothing imports back, and no import hides inside a function to
dodge a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "resque_web" / "web"


def imports(path: Path) -> list[tuple[ast.stmt, str]]:
    """Every import in the module, with where it runs: "module" (at import time),
    "typing" (under TYPE_CHECKING) or "function"."""
    found: list[tuple[ast.stmt, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, where))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, "function")
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, "typing" if where == "module" else where)
            else:
                visit(child, where)

    visit(ast.parse(path.read_text()), "module")
    return found


def test_only_the_app_imports_the_blueprint_module() -> None:
    for path in WEB.rglob("*.py"):
        for node, where in imports(path):
            if where == "module" and isinstance(node, ast.ImportFrom):
                if node.module == "blueprint" and node.level == 1:
                    assert path.parent == WEB and path.name in (
                        "app.py",
                        "multi.py",
                        "__init__.py",
                    ), path
                assert node.module != "blueprint" or node.level == 1, path


def test_no_import_inside_a_function() -> None:
    """(The ``serve`` command loads the dashboard when it runs: ``resque-web worker``
    shares the command line and need not load Flask.)"""
    for path in WEB.rglob("*.py"):
        if path == WEB / "serve.py":
            continue
        for node, where in imports(path):
            assert where != "function", f"{path}:{node.lineno}: {ast.unparse(node)}"
