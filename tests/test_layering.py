"""The layering of DESIGN.md §2, checked on the code itself.

``transcode`` stands alone; ``mam`` is the application and imports neither ``api``, ``workers`` nor
``cli``; ``workers`` imports no ``api`` or ``cli``; ``cli`` imports nothing from ``api`` (the public
representations live in ``mam``); nothing imports ``api``. Inside the project no module imports
another that (directly or not) imports it back at load time. No module outside tests and
migrations grows past 400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("transcode", "mam", "workers", "api", "cli")
MAX_LINES = 400
MAY_IMPORT = {
    "transcode": {"transcode"},
    "mam": {"mam", "transcode"},
    "workers": {"workers", "mam", "transcode"},
    "api": {"api", "mam", "workers", "transcode"},
    "cli": {"cli", "mam", "workers", "transcode"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(path: Path, module: str, *, load_time_only: bool) -> Iterator[str]:
    """Names a module imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``); with
    ``load_time_only``, only the imports that run when the module is loaded (not those inside
    functions, classes or ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.AST]:
        for node in nodes:
            if load_time_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if load_time_only and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            yield from ast.walk(node) if not load_time_only else _shallow(node)

    def _shallow(node: ast.stmt) -> Iterator[ast.AST]:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, []) or []:
                if isinstance(child, ast.ExceptHandler):
                    yield from walk(child.body)
                elif isinstance(child, ast.stmt):
                    yield from walk([child])

    for node in walk(tree.body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)


def test_importing_transcode_loads_nothing_of_the_application() -> None:
    names = [m for m in _modules() if m.split(".")[0] == "transcode"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mam', 'api', 'workers', 'cli'}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert run.stdout.strip() == "[]", run.stdout


def test_each_package_imports_only_what_it_may() -> None:
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        own = module.split(".")[0]
        for name in _imported(path, module, load_time_only=False):
            top = name.split(".")[0]
            if top in PACKAGES and top not in MAY_IMPORT[own]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_module_imports_itself_back_at_load_time() -> None:
    modules = _modules()
    graph = {
        m: {n for n in _imported(p, m, load_time_only=True) if n in modules and not _is_package_of(n, m)}
        for m, p in modules.items()
    }
    cycles = _cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(sorted(c)) for c in cycles)


def test_no_module_is_over_400_lines() -> None:
    long = []
    for folder in (*PACKAGES, "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, "\n".join(long)


def _is_package_of(name: str, module: str) -> bool:
    """``name`` is ``module`` itself or a package it sits in (always loaded before it: no cycle)."""
    return module == name or module.startswith(name + ".")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups
