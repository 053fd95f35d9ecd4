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

Words are read as ``bot.safety.normalise`` leaves them, then with the file's sound-alikes written as
what they mean ("tram a doll" is "tramadol"). A hit that speaks of an absence ("I won't be here
tomorrow") is explained away by a reason that follows it in its clause or the next ("I'm visiting my
sister"), and only that hit.

When no family found anything urgent, the **lexical backstop** (``bot.safety.backstop``) reads the
words no family matched: a word of death, means, self-harm or hopelessness in the writer's voice is
at least concern, and urgent only with a sign of intent in the same clause.

The result names the level, category and phrase id, never the text itself, so it is safe to log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot.safety.normalise import clauses, respell, tokens
from bot.safety.rules import LEVEL_RANK, Compiled, SafetyRules

LOWER = {"urgent": "concern", "concern": "none"}
REMEMBERED_LENGTH = 64  # texts at most this long have their verdict kept (numbers, "ok", a short note)
REMEMBERED_TEXTS = 4096  # verdicts kept at most; the store starts again when full
_UNREAD = object()


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
    """The most worrying phrase family in ``text`` (urgent before concern, then the longest match); when
    none is urgent, the lexical backstop may still find words of risk no family named.

    The verdict on a short text is kept with the compiled rules: people type the same few things
    ("5", "ok", "yes") thousands of times, and the screen is a pure function of the text and the
    rules, so reading it again would only cost time. The store is bounded and goes with the rules
    when they are loaded again."""
    compiled = rules.compiled()
    if len(text) > REMEMBERED_LENGTH:
        return _screen(text, rules, compiled)
    known = compiled.verdicts.get(text, _UNREAD)
    if known is _UNREAD:
        if len(compiled.verdicts) >= REMEMBERED_TEXTS:
            compiled.verdicts.clear()
        known = compiled.verdicts[text] = _screen(text, rules, compiled)
    return known  # type: ignore[return-value]  # only RiskHit or None are stored


def _screen(text: str, rules: SafetyRules, compiled: Compiled) -> RiskHit | None:
    joking = _joking(_read(text, compiled), compiled)
    best: tuple[int, int, RiskHit] | None = None
    read: list[tuple[tuple[str, ...], list[tuple[int, int]]]] = []
    every = [words for words in (_read(clause, compiled) for clause in clauses(text)) if words]
    for index, words in enumerate(every):
        judged: list[tuple[int, int]] = []
        excused = partial(_excused, every, index, compiled)
        for rank, hit in _phrase_hits(words, compiled, rules, joking, judged, excused):
            if best is None or rank > best[:2]:
                best = (*rank, hit)
        read.append((words, judged))
    if best is None or best[0] < LEVEL_RANK["urgent"]:
        extra = _backstop(read, compiled, rules, joking, every)
        if extra is not None and (best is None or LEVEL_RANK[extra.level] > best[0]):
            return extra
    return best[2] if best is not None else None


def _read(text: str, compiled: Compiled) -> tuple[str, ...]:
    """The words of ``text`` as every pattern is compared with them: normalised, then respelt."""
    return respell(tokens(text, compiled.rewrites), compiled.sound_alikes or {})


def _excused(every: list[tuple[str, ...]], index: int, compiled: Compiled, end: int) -> bool:
    """A reason for an absence after ``end`` in clause ``index``, or in the clause after it."""
    if compiled.reasons is None:
        return False
    if compiled.reasons.spans(every[index][end:]):
        return True
    return index + 1 < len(every) and bool(compiled.reasons.spans(every[index + 1]))


def _phrase_hits(
    words: tuple[str, ...],
    compiled: Compiled,
    rules: SafetyRules,
    joking: bool,
    judged: list[tuple[int, int]],
    excused: Callable[[int], bool],
) -> list[tuple[tuple[int, int], RiskHit]]:
    """The phrase families' hits in one clause with their rank; every span judged (even one a harmless
    phrase or a negation silenced) goes into ``judged``, so the backstop does not read it again."""
    spans = compiled.phrases.spans(words)
    benign = [(b_start, b_end) for b_start, b_end, _ in compiled.benign.spans(words)] if spans else []
    found: list[tuple[tuple[int, int], RiskHit]] = []
    for start, end, payload in spans:
        phrase_id, category = payload  # type: ignore[misc]
        judged.append((start, end))
        if any(b_start <= start and end <= b_end and b_end - b_start > end - start for b_start, b_end in benign):
            continue
        if phrase_id in compiled.excusable and excused(end):
            continue
        level, negated = rules.level_of(category), _negated(words, start, compiled, rules.negation_window)
        if negated:
            level = LOWER[level]
        if joking and level == "urgent":
            level = "concern"
        if level != "none":
            hit = RiskHit(level=level, category=category, phrase=phrase_id, negated=negated)
            found.append(((LEVEL_RANK[level], end - start), hit))
    return found


def _backstop(
    read: list[tuple[tuple[str, ...], list[tuple[int, int]]]],
    compiled: Compiled,
    rules: SafetyRules,
    joking: bool,
    every: list[tuple[str, ...]],
) -> RiskHit | None:
    """The backstop's most worrying clause (``bot.safety.backstop``), as a hit in its own categories."""
    backstop = compiled.backstop
    if backstop is None or rules.backstop is None:
        return None
    found: RiskHit | None = None
    for index, (words, judged) in enumerate(read):
        harmless = [(start, end) for start, end, _ in compiled.benign.spans(words)]
        negated = partial(_negated, words, compiled=compiled, window=rules.negation_window)
        hit = backstop.grade(words, judged, negated, harmless, partial(_excused, every, index, compiled))
        if hit is None:
            continue
        level = "concern" if joking else hit.level
        category = rules.backstop.urgent_category if level == "urgent" else rules.backstop.concern_category
        if found is None or LEVEL_RANK[level] > LEVEL_RANK[found.level]:
            found = RiskHit(level=level, category=category, phrase=f"backstop.{hit.term}")
    return found


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
