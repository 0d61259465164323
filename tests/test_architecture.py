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
