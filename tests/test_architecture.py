"""Imports point inward: the engine and content layers know no channel, database or scheduler."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "bot/engine": (
        "telegram",
        "sqlalchemy",
        "apscheduler",
        "yaml",
        "bot.storage",
        "bot.channels",
        "scheduler",
        "bot.service",
    ),
    "bot/relay": ("telegram", "apscheduler", "bot.channels", "scheduler"),  # the staff side is channel-neutral
    "bot/content": ("telegram", "sqlalchemy", "apscheduler", "bot.engine", "bot.storage", "bot.channels", "scheduler"),
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_layers_import_nothing_from_the_edges():
    problems = []
    for package, banned in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            for name in imported_modules(path):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


def test_nothing_calls_datetime_now_outside_the_clock():
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "scheduler")
        for p in (ROOT / folder).rglob("*.py")
        if "datetime.now(" in p.read_text() and p.name != "clock.py"
    ]
    assert offenders == []
