"""The labelled sentence sets in tests/fixtures/safety/ that the risk screen is measured on."""

from __future__ import annotations

from pathlib import Path

from bot.cli.safety import split_line

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "safety"


def labelled(name: str) -> list[tuple[str, str]]:
    rows = [split_line(line) for line in (SETS / name).read_text(encoding="utf-8").splitlines()]
    return [(want, text) for want, text in rows if want is not None]
