#!/usr/bin/env python3
"""The import graph between the project's Django apps, drawn from the code.

    python scripts/import_graph.py            # the app-level graph, as a Mermaid diagram (docs/architecture.md)
    python scripts/import_graph.py --check    # also fails on an import circle between apps or the platform's modules

An app is a package with an apps.py. Every import statement counts, at the top of a module or inside a function;
references by string (INSTALLED_APPS, include("referrals.urls")) do not. Tests import the functions here.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "tests", "node_modules", "static", "templates", "bench", "scripts"}


def apps(root: Path = ROOT) -> list[str]:
    """Every app's dotted name, longest first so that a module belongs to its innermost app."""
    found = []
    for config in root.rglob("apps.py"):
        parts = config.relative_to(root).parent.parts
        if parts and not SKIP.intersection(parts):
            found.append(".".join(parts))
    return sorted(found, key=lambda name: (-name.count("."), name))


def modules(root: Path = ROOT, packages=("safeguarding", "referrals")) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(path: Path, module: str) -> set[str]:
    """The modules `path` imports, by dotted name, relative imports resolved."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def owner(name: str, app_names: list[str]) -> str | None:
    return next((app for app in app_names if name == app or name.startswith(app + ".")), None)


def module_graph(root: Path = ROOT, packages=("safeguarding",)) -> dict[str, set[str]]:
    """Each module of `packages` (the platform's, by default) and the modules of `packages` it imports."""
    found = modules(root, packages)
    return {
        module: {name for name in imports(path, module) if name in found} - {module} for module, path in found.items()
    }


def app_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Each app and the other apps it imports."""
    app_names = apps(root)
    graph = {app: set() for app in app_names}
    for module, path in modules(root).items():
        source = owner(module, app_names)
        if source is None:
            continue
        for name in imports(path, module):
            target = owner(name, app_names)
            if target is not None and target != source:
                graph[source].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan): each is an import circle."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def mermaid(graph: dict[str, set[str]]) -> str:
    def node(app: str) -> str:
        return app.rpartition(".")[2]

    lines = ["flowchart TD"]
    for app in sorted(graph):
        layer = "domain" if not app.startswith("safeguarding.") else "platform"
        lines.append(f'    {node(app)}["{app} ({layer})"]')
    for app in sorted(graph):
        for target in sorted(graph[app]):
            lines.append(f"    {node(app)} --> {node(target)}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    graph = app_graph()
    print(mermaid(graph))
    if "--check" in argv:
        circles = cycles(graph) + cycles(module_graph())
        for circle in circles:
            print("import circle:", " <-> ".join(circle), file=sys.stderr)
        return 1 if circles else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
