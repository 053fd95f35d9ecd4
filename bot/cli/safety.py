"""``icbt safety check``: how the screen grades each line of a file, so content authors can try a
phrase list on sentences of their own before deploying it.

One text per line (a file, or standard input); each is printed back as ``LEVEL<TAB>TEXT``. A line
already written as ``LEVEL<TAB>TEXT`` (the sentence sets in ``tests/fixtures/safety/``) is graded on
its text, and a summary on standard error compares the expected levels with the screen's. Blank lines
and lines starting with ``#`` are skipped. The exit code is 0 whatever the levels: the command reports.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.safety.rules import SafetyRules
from bot.safety.screen import level

LEVELS = ("urgent", "concern", "none")


@dataclass
class Tally:
    """Expected against found, for the lines that named a level."""

    rows: list[tuple[str, str]] = field(default_factory=list)  # (expected, found)

    def lines(self) -> list[str]:
        risk = [(want, got) for want, got in self.rows if want != "none"]
        calm = [(want, got) for want, got in self.rows if want == "none"]
        out = [f"{len(self.rows)} labelled lines, {sum(w == g for w, g in self.rows)} at the expected level"]
        if risk:
            caught = sum(got != "none" for _, got in risk)
            out.append(f"risk lines: {caught} of {len(risk)} caught ({100 * caught / len(risk):.1f} % recall)")
            urgent = [(w, g) for w, g in risk if w == "urgent"]
            if urgent:
                right = sum(g == "urgent" for _, g in urgent)
                out.append(f"urgent lines graded urgent: {right} of {len(urgent)}")
        if calm:
            raised = sum(got != "none" for _, got in calm)
            urgent_raised = sum(got == "urgent" for _, got in calm)
            out.append(
                f"everyday lines: {raised} of {len(calm)} raised ({100 * raised / len(calm):.1f} % false positives, "
                f"{urgent_raised} urgent)"
            )
        return out


def split_line(line: str) -> tuple[str | None, str]:
    """(expected level or None, text) of one input line."""
    head, tab, rest = line.partition("\t")
    if tab and head.strip().lower() in LEVELS:
        return head.strip().lower(), rest
    return None, line


def check(lines: Iterable[str], rules: SafetyRules, out: TextIO, err: TextIO) -> Tally:
    tally = Tally()
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        expected, text = split_line(line)
        found = level(text, rules)
        out.write(f"{found}\t{text}\n")
        if expected is not None:
            tally.rows.append((expected, found))
    if tally.rows:
        for summary in tally.lines():
            err.write(summary + "\n")
    return tally


def check_command(file: Path | None, content: Path, lang: str) -> int:
    """The command's body: load only the safety file of ``lang`` from ``content`` and grade the lines."""
    from bot.content.loader import load_safety_rules

    rules = load_safety_rules(content, lang)
    if file is None:
        check(sys.stdin, rules, sys.stdout, sys.stderr)
    else:
        with file.open(encoding="utf-8") as lines:
            check(lines, rules, sys.stdout, sys.stderr)
    return 0
