"""The layers hold: the platform (safeguarding/) never imports the domain (referrals/), no module imports itself
round a circle, no two apps import each other (accounts and audit included), and docs/architecture.md shows
the import graph the code has."""

import ast
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_graph():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


import_graph = _import_graph()


def _imported_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_the_platform_imports_nothing_from_the_domain():
    # Naming the domain by string (INSTALLED_APPS, include("referrals.urls")) is how the site assembles it.
    found = []
    for path in sorted((ROOT / "safeguarding").rglob("*.py")):
        for line, name in _imported_names(ast.parse(path.read_text(), str(path))):
            if name == "referrals" or name.startswith("referrals."):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert found == []


def test_no_platform_module_imports_itself_round_a_circle():
    assert import_graph.cycles(import_graph.module_graph()) == []


def test_no_two_apps_import_each_other_directly_or_round_a_circle():
    assert import_graph.cycles(import_graph.app_graph()) == []


def test_the_audit_layer_knows_only_core_and_accounts_does_not_read_the_trail():
    graph = import_graph.app_graph()

    assert graph["safeguarding.core"] == set()
    assert graph["safeguarding.audit"] == {"safeguarding.core"}
    assert "safeguarding.trail" not in graph["safeguarding.accounts"]


def test_the_graph_finds_a_circle_when_there_is_one():
    assert import_graph.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_architecture_page_shows_the_import_graph_the_code_has():
    page = (ROOT / "docs" / "architecture.md").read_text()
    drawn = re.search(r"```mermaid\n(.*?)\n```", page, re.DOTALL)

    assert drawn is not None
    assert drawn.group(1) == import_graph.mermaid(import_graph.app_graph())


def test_only_the_development_commands_import_the_demo_package():
    allowed = {"seed_demo.py", "seed_scale.py"}
    found = []
    for path in sorted((ROOT / "referrals").rglob("*.py")):
        if "demo" in path.relative_to(ROOT / "referrals").parts or path.name in allowed:
            continue
        for line, name in _imported_names(ast.parse(path.read_text(), str(path))):
            if name.startswith("referrals.demo"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert found == []
