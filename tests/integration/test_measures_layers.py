"""bot/measures is pure except at its edges (storing scores, recording corrections, loading the dataset, the service that
records scores in an event, provenance.py: the simulator's mark on its database, and rules.py: the rules as
the engine asks for them): no storage, channel or engine import
elsewhere."""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import imported_modules

MEASURES = Path(__file__).resolve().parents[2] / "bot" / "measures"
EDGES = {"store.py", "corrections.py", "db_loader.py", "service.py", "provenance.py", "rules.py"}
BANNED = (
    "sqlalchemy",
    "telegram",
    "apscheduler",
    "bot.storage",
    "bot.channels",
    "bot.engine",
    "bot.conversation.service",
    "scheduler",
)


def test_pure_measures_modules_import_nothing_from_the_edges():
    problems = [
        f"{path.name} imports {name}"
        for path in MEASURES.glob("*.py")
        if path.name not in EDGES
        for name in imported_modules(path)
        if any(name == b or name.startswith(b + ".") for b in BANNED)
    ]
    assert problems == []
    assert {p.name for p in MEASURES.glob("*.py")} >= EDGES | {"scoring.py", "report.py", "export.py"}
