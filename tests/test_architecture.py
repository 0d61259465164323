"""``bot/`` is the platform-neutral core: it never imports a platform library."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO

PLATFORM_MODULES = ("slack_bolt", "slack_sdk", "discord")


def test_no_platform_import_statement_in_bot() -> None:
    offenders = []
    for path in sorted((REPO / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names
                          if n.split(".")[0] in PLATFORM_MODULES]
    assert offenders == []


def test_importing_all_of_bot_loads_no_platform_library() -> None:
    modules = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in (REPO / "bot").rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {PLATFORM_MODULES!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
    assert len(modules) > 10


def test_no_test_builds_a_coach_on_the_system_clock() -> None:
    """A coach on the wall clock makes a test's result depend on the hour it runs (check-in
    windows, weekends, daylight saving). Tests inject a clock; ``.ci/run`` proves the rest
    by running the suite again under libfaketime."""
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Name) and node.id == "SystemClock":
                offenders.append(f"{where}: SystemClock")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "build_coach"
                    and not any(k.arg == "clock" for k in node.keywords)):
                offenders.append(f"{where}: build_coach without clock=")
    assert offenders == []


def _bot_import_graph() -> dict[str, set[str]]:
    """Every ``bot`` module and the ``bot`` modules it imports, wherever in the file."""
    modules = {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (REPO / "bot").rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target != "bot":
                    graph[name].add(target)
    return graph


def test_bot_has_no_import_cycles() -> None:
    """A cycle (even through an import inside a function) means two modules each need the
    other: one of them holds something that belongs in a third."""
    graph = _bot_import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 finished

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []
