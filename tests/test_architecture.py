"""Where things live: template tags only format, the PDF worker starts without the project."""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent / "projects"
DECIDING = {"models", "access", "evaluation", "attachments", "workflow", "reports", "history", "checks"}


def _imports(path: Path, *, top_level_only=False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" if module else alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PROJECT / "templatetags").glob("[!_]*.py")), ids=lambda p: p.name)
def test_template_tags_format_and_never_query_or_decide(path):
    parts = {part for name in _imports(path) for part in name.split(".")}
    assert not parts & DECIDING, f"{path.name} imports {sorted(parts & DECIDING)}: the view passes what it needs"
    assert "takes_context" not in path.read_text(encoding="utf-8")


def test_the_pdf_worker_imports_nothing_of_the_project_at_import_time():
    # The pool unpickles the worker's functions before its initializer has configured Django.
    imported = _imports(PROJECT / "printing" / "worker.py", top_level_only=True)
    assert not [name for name in imported if name.startswith(("projects", "."))]
    assert "django" not in {name.split(".")[0] for name in imported}
