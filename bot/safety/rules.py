"""The shape of ``content/safety/<lang>.yaml``: risk phrases, negations, benign phrases, crisis texts.

Admins tune what counts as risk by editing YAML, not code; these frozen models make every mistake show
up at validation time with the path of the offending field. Phrases are normalised once here (lower
case, straight apostrophes, no punctuation) so that screening compares like with like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Severity = Literal["urgent", "high", "moderate"]
SEVERITY_RANK: dict[str, int] = {"urgent": 3, "high": 2, "moderate": 1}

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NOT_WORD = re.compile(r"[^\w]+|_")
_REPEATS = re.compile(r"(.)\1+")
CRISIS_PLACEHOLDERS = ("emergency_number", "crisis_line")
CRISIS_OPTIONAL = ("crisis_line_name", "crisis_line_number", "country")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def normalise(text: str) -> tuple[str, ...]:
    """Lower case word tokens: apostrophes dropped ("don't" -> "dont"), punctuation is a word break."""
    folded = text.translate(_APOSTROPHES).casefold().replace("'", "")
    return tuple(token for token in _NOT_WORD.split(folded) if token)


def squashed(text: str) -> tuple[str, ...]:
    """``normalise`` with doubled letters counted once ("killl" and "kil" both become "kil")."""
    return tuple(_REPEATS.sub(r"\1", token) for token in normalise(text))


@dataclass(frozen=True)
class Compiled:
    """The rules prepared for matching, built once per loaded file (patterns indexed by first letter)."""

    by_initial: dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]  # letter -> (tokens, phrase id, category)
    benign: tuple[tuple[str, ...], ...]
    negations: frozenset[str]
    breaks: frozenset[str]


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} must be lower_snake_case (a-z, 0-9, _) and start with a letter")
    return value


def _check_patterns(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not normalise(value):
            raise ValueError(f"pattern {value!r} has no letters or digits")
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Patterns = Annotated[tuple[str, ...], Field(min_length=1)]


class Category(_Strict):
    """A kind of risk (suicide, self-harm, harm to others …) and how urgently staff must act."""

    severity: Severity
    label: str = Field(min_length=1)  # what staff read in the alert, e.g. "thoughts of suicide"


class RiskPhrase(_Strict):
    """One risk phrase with its spellings; a hit names the phrase ``id``, never the participant's text."""

    id: str
    category: str
    patterns: Patterns

    _id = field_validator("id")(check_id)
    _patterns = field_validator("patterns")(_check_patterns)


class BenignPhrase(_Strict):
    """Everyday talk that contains a risk phrase; a hit inside one of these is dropped."""

    id: str
    patterns: Patterns

    _id = field_validator("id")(check_id)
    _patterns = field_validator("patterns")(_check_patterns)


class ItemRule(_Strict):
    """A questionnaire answer that starts the safety protocol (e.g. PHQ-9 item 9 at 1 or more)."""

    instrument: str
    item: str
    at_least: int = Field(ge=0)
    category: str


class CrisisTexts(_Strict):
    """What the participant is told; one text per staff situation so that each claims only what is true."""

    with_staff: str = Field(min_length=1)
    no_staff: str = Field(min_length=1)

    @field_validator("with_staff", "no_staff")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        missing = [name for name in CRISIS_PLACEHOLDERS if "{" + name + "}" not in value]
        if missing:
            raise ValueError(f"must contain {', '.join('{' + m + '}' for m in missing)}")
        unknown = sorted(set(_PLACEHOLDER.findall(value)) - set(CRISIS_PLACEHOLDERS) - set(CRISIS_OPTIONAL))
        if unknown:
            allowed = ", ".join("{" + n + "}" for n in CRISIS_PLACEHOLDERS + CRISIS_OPTIONAL)
            raise ValueError(f"unknown placeholder {{{unknown[0]}}} (allowed: {allowed})")
        return value


class SafetyRules(_Strict):
    """Everything screening needs for one language."""

    categories: dict[str, Category] = Field(min_length=1)
    phrases: tuple[RiskPhrase, ...] = Field(min_length=1)
    negations: tuple[str, ...] = ()
    negation_window: int = Field(default=3, ge=0, le=8)
    clause_breaks: tuple[str, ...] = ("but", "though", "although", "however", "yet")
    benign: tuple[BenignPhrase, ...] = ()
    items: tuple[ItemRule, ...] = ()
    alert_at_category: str | None = None  # the category of instrument items marked ``alert_at``
    crisis: CrisisTexts
    _compiled: Compiled | None = PrivateAttr(default=None)

    def compiled(self) -> Compiled:
        """Patterns normalised and indexed, computed on first use and kept with the rules."""
        if self._compiled is None:
            index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
            for phrase in self.phrases:
                for pattern in phrase.patterns:
                    tokens = squashed(pattern)
                    index.setdefault(tokens[0][0], []).append((tokens, phrase.id, phrase.category))
            self._compiled = Compiled(
                by_initial={letter: tuple(entries) for letter, entries in index.items()},
                benign=tuple(squashed(p) for b in self.benign for p in b.patterns),
                negations=frozenset(t for word in self.negations for t in squashed(word)),
                breaks=frozenset(t for word in self.clause_breaks for t in squashed(word)),
            )
        return self._compiled

    @model_validator(mode="after")
    def _references(self) -> SafetyRules:
        known = set(self.categories)
        for index, phrase in enumerate(self.phrases):
            if phrase.category not in known:
                raise ValueError(f"phrases.{index}.category: unknown category {phrase.category!r}")
        for index, rule in enumerate(self.items):
            if rule.category not in known:
                raise ValueError(f"items.{index}.category: unknown category {rule.category!r}")
        if self.alert_at_category is not None and self.alert_at_category not in known:
            raise ValueError(f"alert_at_category: unknown category {self.alert_at_category!r}")
        ids = [p.id for p in self.phrases] + [b.id for b in self.benign]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"phrase ids used twice: {', '.join(doubled)}")
        return self
