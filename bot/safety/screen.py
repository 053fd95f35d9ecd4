"""Screening: does a participant's text or answer signal risk? Values in, values out.

Matching works on word tokens (see ``rules.normalise``), so case, curly apostrophes, punctuation and
spacing ("end it all!!!", "self-harm", "selfharm", "kill my self") do not matter. Small misspellings
are forgiven: doubled letters count once ("killl", "kil") and a word of six letters or more may be
one letter off ("suicidel"), though not in its first letter (patterns are looked up by it). A hit is
dropped when a negation word ("not", "never", "no" …) comes shortly before it in the same clause
("I would never kill myself"), or when it lies inside a benign phrase the admin listed. The result
names the category and phrase id, never the text itself, so it is safe to log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.safety.rules import SEVERITY_RANK, Compiled, SafetyRules, squashed

_CLAUSE = re.compile(r"[.!?;:,\n\u2013\u2014]+|\s-\s")
FUZZY_MIN_LENGTH = 6
MAX_JOIN = 3  # "kill my self" ~ "kill myself", "selfharm" ~ "self harm": at most three words joined


@dataclass(frozen=True)
class RiskHit:
    """What was found: safe to log and to show staff (it holds no participant text)."""

    category: str
    phrase: str  # the phrase id, or "<instrument>.<item>" for an answer
    severity: str

    def data(self) -> dict[str, str]:
        """What goes into the staff relay record and the audit row (no participant text)."""
        return {"category": self.category, "phrase": self.phrase, "severity": self.severity}

    def describe(self, rules: SafetyRules) -> str:
        """One line for staff, e.g. "thoughts of suicide (urgent, phrase kill_myself)"."""
        category = rules.categories.get(self.category)
        label = category.label if category else self.category
        return f"{label} ({self.severity}, phrase {self.phrase})"


def screen(text: str, rules: SafetyRules) -> RiskHit | None:
    """The most severe risk phrase in ``text`` that is neither negated nor inside a benign phrase."""
    compiled = rules.compiled()
    best: RiskHit | None = None
    for clause in _CLAUSE.split(text):
        tokens = squashed(clause)
        for start, end, phrase_id, category in _phrase_spans(tokens, compiled):
            if _negated(tokens, start, compiled, rules.negation_window) or _inside_benign(tokens, start, end, compiled):
                continue
            hit = RiskHit(category=category, phrase=phrase_id, severity=rules.categories[category].severity)
            if best is None or SEVERITY_RANK[hit.severity] > SEVERITY_RANK[best.severity]:
                best = hit
    return best


def item_risk(instrument_id: str, item_id: str, value: object, rules: SafetyRules) -> RiskHit | None:
    """A questionnaire answer at or above an item rule's threshold (e.g. PHQ-9 item 9 > 0)."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    for rule in rules.items:
        if rule.instrument == instrument_id and rule.item == item_id and number >= rule.at_least:
            category = rules.categories[rule.category]
            return RiskHit(category=rule.category, phrase=f"{instrument_id}.{item_id}", severity=category.severity)
    return None


def _phrase_spans(tokens: tuple[str, ...], compiled: Compiled) -> list[tuple[int, int, str, str]]:
    """Every (start, end, phrase id, category) where a pattern matches; patterns looked up by first letter."""
    spans = []
    for start, token in enumerate(tokens):
        for wanted, phrase_id, category in compiled.by_initial.get(token[0], ()):
            end = _match(wanted, 0, tokens, start)
            if end is not None:
                spans.append((start, end, phrase_id, category))
    return spans


def _match(wanted: tuple[str, ...], w: int, tokens: tuple[str, ...], t: int) -> int | None:
    """Where the text span matching ``wanted[w:]`` from token ``t`` ends, or None."""
    if w == len(wanted):
        return t
    if t == len(tokens) or tokens[t][0] != wanted[w][0]:
        return None  # (fuzzy matching never forgives the first letter)
    for take_w in range(1, min(MAX_JOIN, len(wanted) - w) + 1):
        for take_t in range(1, min(MAX_JOIN, len(tokens) - t) + 1):
            if take_w > 1 and take_t > 1:
                continue  # join words on one side only
            if _same("".join(wanted[w : w + take_w]), "".join(tokens[t : t + take_t])):
                end = _match(wanted, w + take_w, tokens, t + take_t)
                if end is not None:
                    return end
    return None


def _same(wanted: str, seen: str) -> bool:
    if wanted == seen:
        return True
    if len(wanted) < FUZZY_MIN_LENGTH or abs(len(wanted) - len(seen)) > 1:
        return False
    return _one_edit(wanted, seen)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one substitution, insertion or deletion."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _negated(tokens: tuple[str, ...], start: int, compiled: Compiled, window: int) -> bool:
    for index in range(start - 1, max(-1, start - 1 - window), -1):
        if tokens[index] in compiled.breaks:
            return False
        if tokens[index] in compiled.negations:
            return True
    return False


def _inside_benign(tokens: tuple[str, ...], start: int, end: int, compiled: Compiled) -> bool:
    for wanted in compiled.benign:
        for b_start in range(max(0, start - len(wanted) - MAX_JOIN), min(len(tokens), end)):
            b_end = _match(wanted, 0, tokens, b_start)
            if b_end is not None and b_end > start:
                return True
    return False
