"""The shape of ``content/safety/<lang>.yaml``: phrase families with their level, short forms, negations,
harmless phrases and what the participant is told.

Admins tune what counts as risk by editing YAML, not code; these frozen models make every mistake show
up at validation time with the path of the offending field. Patterns are expanded and normalised once
(``compiled``), so that screening compares like with like (see ``bot.safety.patterns``).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from bot.safety.backstop import CompiledBackstop, Term
from bot.safety.normalise import compile_rewrites, compile_sound_alikes, rewrite, words
from bot.safety.patterns import LIST_NAME, PatternError, PhraseIndex, WordList, sequences

Level = Literal["urgent", "concern"]
LEVEL_RANK: dict[str, int] = {"none": 0, "concern": 1, "urgent": 2}

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
CRISIS_PLACEHOLDERS = ("emergency_number", "crisis_line")
CRISIS_OPTIONAL = ("crisis_line_name", "crisis_line_number", "country")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


@dataclass(frozen=True)
class Compiled:
    """The rules prepared for matching, built once per loaded file (patterns indexed by first letter)."""

    phrases: PhraseIndex  # payload: (phrase id, category)
    benign: PhraseIndex
    negations: frozenset[str]
    hedges: frozenset[str]
    breaks: frozenset[str]
    rewrites: dict[str, tuple[str, ...]]
    jokes: frozenset[str] = frozenset()
    backstop: CompiledBackstop | None = None
    sound_alikes: dict[tuple[str, ...], tuple[str, ...]] | None = None
    reasons: PhraseIndex | None = None  # "I'm visiting my sister": why someone will not be around
    excusable: frozenset[str] = frozenset()  # phrase ids a reason explains away
    # The screen's verdicts on short texts already read ("5", "ok", "yes"): see ``bot.safety.screen``.
    verdicts: dict[str, object] = dataclasses.field(default_factory=dict, compare=False, repr=False)


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} must be lower_snake_case (a-z, 0-9, _) and start with a letter")
    return value


def _check_patterns(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if (problem := _pattern_problem(value)) is not None:
            raise ValueError(problem)
    return values


@functools.lru_cache(maxsize=8192)
def _pattern_problem(pattern: str) -> str | None:
    """What is wrong with one pattern, or None. Checking expands every form of it; a process that
    loads the same rules again (the simulator's overlay, a test suite) need not expand them again."""
    try:
        sequences(pattern, {})
    except PatternError as exc:
        return str(exc)
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Patterns = Annotated[tuple[str, ...], Field(min_length=1)]


class Category(_Strict):
    """A kind of risk (a plan, a recent act, a wish to be dead …) and how soon staff must act."""

    level: Level
    label: str = Field(min_length=1)  # what staff read in the alert, e.g. "a plan or means to die"


class RiskPhrase(_Strict):
    """One family of ways to say a thing; a hit names the family ``id``, never the participant's text."""

    id: str
    category: str
    patterns: Patterns
    # "I won't be here tomorrow": said of an absence, which a reason that follows ("I'm visiting my
    # sister") explains away (``reasons``)
    excusable: bool = False

    _id = field_validator("id")(check_id)
    _patterns = field_validator("patterns")(_check_patterns)


class BenignPhrase(_Strict):
    """Everyday talk that contains a risk phrase ("dead tired"); it silences only a shorter hit inside it."""

    id: str
    patterns: Patterns

    _id = field_validator("id")(check_id)
    _patterns = field_validator("patterns")(_check_patterns)


class BackstopTerm(_Strict):
    """A group of risk words for the backstop: ``strong`` is enough alone for concern, ``weak`` needs a
    second term or a sign of intent in its clause; ``lifts`` (death, means) makes it urgent with intent;
    ``thing`` (a means) lets an article stand before it without naming someone else."""

    id: str
    strength: Literal["strong", "weak"]
    lifts: bool = False
    thing: bool = False
    # a hopelessness word: "it", "this", "everything" before it are the writer's life ("it's all pointless")
    impersonal: bool = False
    # a means used plainly every day ("exhaust", "razor blades", "jumped off"): only with the writer
    # named as its subject and a word of death, self-harm or intent in the clause
    needs_self: bool = False
    excusable: bool = False  # an absence ("won't be around") a reason that follows explains away
    patterns: Patterns

    _id = field_validator("id")(check_id)
    _patterns = field_validator("patterns")(_check_patterns)


class Backstop(_Strict):
    """The tier after the phrase families: single risk words read in the writer's voice (see
    ``bot.safety.backstop``). It errs to concern, and is urgent only with a sign of intent."""

    concern_category: str
    urgent_category: str
    terms: tuple[BackstopTerm, ...] = Field(min_length=1)
    intent: Patterns  # "tonight", "decided", "when everyone is asleep"
    benign: tuple[str, ...] = ()  # idioms where a term is harmless ("this pain is killing me")
    selves: tuple[str, ...] = ("i", "me", "myself")
    impersonal: tuple[str, ...] = ()  # "it", "this", "everything": the writer's life for a hopelessness word
    others: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    possessives: tuple[str, ...] = ()
    self_nouns: tuple[str, ...] = ()
    joins: tuple[str, ...] = ()

    _benign = field_validator("benign")(_check_patterns)
    _intent = field_validator("intent")(_check_patterns)

    def compiled(
        self, rewrites: dict[str, tuple[str, ...]], lists: dict[str, WordList], plain: frozenset[str]
    ) -> CompiledBackstop:
        terms = [
            (seq, Term(t.id, t.strength == "strong", t.lifts, t.thing, t.impersonal, t.needs_self, t.excusable))
            for t in self.terms
            for pattern in t.patterns
            for seq in sequences(pattern, rewrites)
        ]
        intent = [(seq, "intent") for pattern in self.intent for seq in sequences(pattern, rewrites)]
        benign = [(seq, "benign") for pattern in self.benign for seq in sequences(pattern, rewrites)]
        return CompiledBackstop(
            terms=PhraseIndex(terms, lists, plain),
            intent=PhraseIndex(intent, lists, plain, exact=True),  # intent lifts to urgent: only as written
            benign=PhraseIndex(benign, lists, plain),
            selves=_word_set(self.selves, rewrites),
            others=_word_set(self.others, rewrites),
            articles=_word_set(self.articles, rewrites),
            possessives=_word_set(self.possessives, rewrites),
            self_nouns=_word_set(self.self_nouns, rewrites),
            impersonal=_word_set(self.impersonal, rewrites),
            joins=_word_set(self.joins, rewrites),
        )


class ItemRule(_Strict):
    """A questionnaire answer that starts the safety protocol (PHQ-9 item 9 at 1 or more).

    At ``at_least`` it raises its category's level; at ``urgent_at`` (when given) it is urgent."""

    instrument: str
    item: str
    at_least: int = Field(ge=0)
    category: str
    urgent_at: int | None = None


class Replies(_Strict):
    """What the participant is told, one text per staff situation so that each claims only what is true:
    the team has the alert (``with_staff``), the team could not be reached just now (``unreachable``), or
    nobody reads this chat (``no_staff``)."""

    with_staff: str = Field(min_length=1)
    unreachable: str = Field(min_length=1)
    no_staff: str = Field(min_length=1)

    @field_validator("with_staff", "unreachable", "no_staff")
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
    rewrites: dict[str, str] = Field(default_factory=dict)  # short form -> plain words ("wanna": "want to")
    # named word lists a pattern uses as <name> ("<pills>": every medicine a participant may name)
    word_lists: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    negations: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()  # "not sure I want to live": a negation followed by one of these is none
    negation_window: int = Field(default=3, ge=0, le=8)
    clause_breaks: tuple[str, ...] = ("but", "though", "although", "however", "yet")
    # "lol", "(joking)": anywhere in the text, an urgent hit is read as concern (never as nothing)
    jokes: tuple[str, ...] = ()
    # voice typing and spelling by ear: "tram a doll" -> "tramadol", "my rests" -> "my wrists"
    sound_alikes: dict[str, str] = Field(default_factory=dict)
    # everyday words never read as a slip of a risk word ("doing" is not "dying")
    plain_words: tuple[str, ...] = ()
    # what explains an absence ("on holiday", "visiting my sister", "hospital appointment"): after an
    # ``excusable`` hit, in its clause or the next, it drops that hit and nothing else
    reasons: tuple[str, ...] = ()
    benign: tuple[BenignPhrase, ...] = ()
    backstop: Backstop | None = None
    items: tuple[ItemRule, ...] = ()
    alert_at_category: str | None = None  # the category of instrument items marked ``alert_at``
    crisis: Replies  # for an urgent hit
    concern: Replies  # for a concern hit
    _compiled: Compiled | None = PrivateAttr(default=None)

    _reasons = field_validator("reasons")(_check_patterns)

    @field_validator("sound_alikes")
    @classmethod
    def _sound_alikes(cls, value: dict[str, str]) -> dict[str, str]:
        for heard, meant in value.items():
            if not words(heard) or not words(meant):
                raise ValueError(f"{heard!r}: both the words heard and the words meant need letters")
        return value

    @field_validator("rewrites")
    @classmethod
    def _rewrites(cls, value: dict[str, str]) -> dict[str, str]:
        for short, plain in value.items():
            if len(words(short)) != 1:
                raise ValueError(f"{short!r}: a short form is one word")
            if not words(plain):
                raise ValueError(f"{short!r}: the plain words have no letters")
        return value

    def compiled(self) -> Compiled:
        """Patterns expanded, normalised and indexed, computed on first use and kept with the rules."""
        if self._compiled is None:
            rewrites = compile_rewrites(self.rewrites)
            plain = _word_set(self.plain_words, rewrites)
            lists = {
                name: WordList([rewrite(words(entry), rewrites) for entry in entries])
                for name, entries in self.word_lists.items()
            }
            phrases = [
                (seq, (phrase.id, phrase.category))
                for phrase in self.phrases
                for pattern in phrase.patterns
                for seq in sequences(pattern, rewrites)
            ]
            benign = [(seq, b.id) for b in self.benign for p in b.patterns for seq in sequences(p, rewrites)]
            reasons = [(seq, "reason") for p in self.reasons for seq in sequences(p, rewrites)]
            self._compiled = Compiled(
                phrases=PhraseIndex(phrases, lists, plain),
                benign=PhraseIndex(benign, lists, plain),
                negations=_word_set(self.negations, rewrites),
                hedges=_word_set(self.hedges, rewrites),
                breaks=_word_set(self.clause_breaks, rewrites),
                rewrites=rewrites,
                jokes=_word_set(self.jokes, rewrites),
                backstop=self.backstop.compiled(rewrites, lists, plain) if self.backstop else None,
                sound_alikes=compile_sound_alikes(self.sound_alikes, rewrites),
                reasons=PhraseIndex(reasons, lists, plain) if reasons else None,
                excusable=frozenset(phrase.id for phrase in self.phrases if phrase.excusable),
            )
        return self._compiled

    def level_of(self, category: str) -> str:
        return self.categories[category].level

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
        self._list_names_known()
        self._backstop_known()
        ids = [p.id for p in self.phrases] + [b.id for b in self.benign]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"phrase ids used twice: {', '.join(doubled)}")
        return self

    def _backstop_known(self) -> None:
        """The backstop's categories exist at the level they stand for, and its lists are named."""
        if self.backstop is None:
            return
        for field, want in (("concern_category", "concern"), ("urgent_category", "urgent")):
            name = getattr(self.backstop, field)
            if name not in self.categories:
                raise ValueError(f"backstop.{field}: unknown category {name!r}")
            if self.categories[name].level != want:
                raise ValueError(f"backstop.{field}: category {name!r} must be {want}")
        patterns = [p for t in self.backstop.terms for p in t.patterns] + list(self.backstop.intent)
        for pattern in patterns + list(self.backstop.benign):
            for name in LIST_NAME.findall(pattern):
                if name not in self.word_lists:
                    raise ValueError(f"backstop: unknown word list <{name}> in {pattern!r}")

    def _list_names_known(self) -> None:
        """Every ``<name>`` in a pattern is a list under ``word_lists`` with at least one word."""
        for name, entries in self.word_lists.items():
            check_id(name)
            if not entries or not all(words(entry) for entry in entries):
                raise ValueError(f"word_lists.{name}: every entry needs a word, and the list one entry")
        for field, families in (("phrases", self.phrases), ("benign", self.benign)):
            for index, family in enumerate(families):
                for pattern in family.patterns:
                    for name in LIST_NAME.findall(pattern):
                        if name not in self.word_lists:
                            raise ValueError(f"{field}.{index}.patterns: unknown word list <{name}> in {pattern!r}")


def _word_set(values: tuple[str, ...], rewrites: dict[str, tuple[str, ...]]) -> frozenset[str]:
    return frozenset(t for value in values for word in words(value) for t in rewrites.get(word, (word,)))
