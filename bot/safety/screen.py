"""Screening: how worrying is what a participant wrote or answered? Values in, values out.

``screen`` gives the most worrying phrase family found in a text (``RiskHit`` with its level,
``urgent`` or ``concern``), or None. The text is read as normalised words (``bot.safety.normalise``),
clause by clause, against the phrase families of the participant's language (``bot.safety.patterns``).
Two rules keep everyday talk quiet without ever hiding risk:

- a **negation** shortly before a phrase ("I would never kill myself") lowers it one level, never
  silences it outright: urgent becomes concern, concern becomes nothing. A negation followed by a
  hedge or a new subject ("not sure I want to live", "no, I want to die") is no negation;
- a **harmless phrase** ("dead tired", "overdose of coffee") silences a hit only when it covers the
  whole hit and is longer than it, so "take an overdose of my tramadol" stays urgent;
- a **joke mark** anywhere in the text ("lol", "(joking)") reads an urgent hit as concern: "I'll kill
  someone lol" is not an emergency, but a joke about dying still reaches the therapist today.

The result names the level, category and phrase id, never the text itself, so it is safe to log.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.safety.normalise import clauses, tokens
from bot.safety.rules import LEVEL_RANK, Compiled, SafetyRules

LOWER = {"urgent": "concern", "concern": "none"}


@dataclass(frozen=True)
class RiskHit:
    """What was found: safe to log and to show staff (it holds no participant text)."""

    level: str  # "urgent" | "concern"
    category: str
    phrase: str  # the phrase family's id, or "<instrument>.<item>" for an answer
    negated: bool = False  # found after a negation ("I would never …"): one level lower

    @property
    def urgent(self) -> bool:
        return self.level == "urgent"

    def data(self) -> dict[str, str]:
        """What goes into the staff relay record and the audit row (no participant text)."""
        return {"level": self.level, "category": self.category, "phrase": self.phrase}

    def describe(self, rules: SafetyRules) -> str:
        """One line for staff, e.g. "a plan or intent to die (urgent, phrase kill_myself)"."""
        category = rules.categories.get(self.category)
        label = category.label if category else self.category
        negated = ", said with a negation" if self.negated else ""
        return f"{label} ({self.level}, phrase {self.phrase}{negated})"


def screen(text: str, rules: SafetyRules) -> RiskHit | None:
    """The most worrying phrase family in ``text`` (urgent before concern, then the longest match)."""
    compiled = rules.compiled()
    joking = _joking(tokens(text, compiled.rewrites), compiled)
    best: tuple[int, int, RiskHit] | None = None
    for clause in clauses(text):
        words = tokens(clause, compiled.rewrites)
        if not words:
            continue
        spans = compiled.phrases.spans(words)
        benign = [(b_start, b_end) for b_start, b_end, _ in compiled.benign.spans(words)] if spans else []
        for start, end, payload in spans:
            phrase_id, category = payload  # type: ignore[misc]
            if any(b_start <= start and end <= b_end and b_end - b_start > end - start for b_start, b_end in benign):
                continue
            level, negated = rules.level_of(category), _negated(words, start, compiled, rules.negation_window)
            if negated:
                level = LOWER[level]
            if joking and level == "urgent":
                level = "concern"
            if level == "none":
                continue
            rank = (LEVEL_RANK[level], end - start)
            if best is None or rank > best[:2]:
                best = (*rank, RiskHit(level=level, category=category, phrase=phrase_id, negated=negated))
    return best[2] if best is not None else None


def level(text: str, rules: SafetyRules) -> str:
    """``urgent``, ``concern`` or ``none`` for a text (what ``icbt safety check`` prints)."""
    hit = screen(text, rules)
    return hit.level if hit is not None else "none"


def item_risk(instrument_id: str, item_id: str, value: object, rules: SafetyRules) -> RiskHit | None:
    """A questionnaire answer at or above an item rule's threshold (e.g. PHQ-9 item 9 > 0)."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    for rule in rules.items:
        if rule.instrument == instrument_id and rule.item == item_id and number >= rule.at_least:
            urgent = rule.urgent_at is not None and number >= rule.urgent_at
            found = "urgent" if urgent else rules.level_of(rule.category)
            return RiskHit(level=found, category=rule.category, phrase=f"{instrument_id}.{item_id}")
    return None


def _joking(words: tuple[str, ...], compiled: Compiled) -> bool:
    """A joke mark ("lol", "joking") not itself negated: "I'm not joking" makes nothing lighter."""
    return any(
        word in compiled.jokes and not (index and words[index - 1] in compiled.negations)
        for index, word in enumerate(words)
    )


def _negated(words: tuple[str, ...], start: int, compiled: Compiled, window: int) -> bool:
    """A negation word at most ``window`` words before ``start`` in the same clause, with no hedge or
    new subject between ("I would never kill myself" yes; "I'm not sure I want to die" no)."""
    for index in range(start - 1, max(-1, start - 1 - window), -1):
        word = words[index]
        if word in compiled.breaks or word in compiled.hedges:
            return False
        if word in compiled.negations:
            return True
    return False
