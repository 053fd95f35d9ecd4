"""The lexical backstop: words of death, means, self-harm and hopelessness that no phrase family named.

Phrase families catch the ways of saying a thing that someone thought of; new writing finds other ways
("gonna yeet myself off the bridge", "the rope's in the shed"). The backstop reads single risk words
and short word groups (``backstop.terms`` in ``content/safety/<lang>.yaml``), in a clause whose subject
is the writer or unclear, and errs to ``concern``: a false concern costs a therapist a minute, a miss
may cost a life. It never says ``urgent`` on a word alone: only a death or means word and a sign of
intent ("tonight", "decided", "when everyone is asleep") in the same clause are ``urgent``.

- a **strong** term ("suicidal", "overdose", "noose", "no future") is enough alone; a **weak** one
  ("tablets", "bridge", "no point", "burden") needs a second term or a sign of intent in its clause;
- the **subject**: looking back from a term to the start of its clause (or a joining word like "and"),
  the first word that names someone decides: "I", "me", "myself" or "my life" is the writer (the term
  counts), "he", "the", "my dog" is someone or something else ("my dog died", "the battery is dead":
  it does not). No such word leaves the subject unclear, and the term counts. For a ``thing`` term
  (a means: "the rope", "a blade") an article names the object, not another subject;
- **idioms** decide the exceptions: a term inside a harmless phrase ("this pain is killing me",
  "dying for a coffee", "cut down on") or inside a phrase family's match (which was judged there,
  negated or harmless) is not read again; a negated term ("I'm not going to die from this") is dropped.

Pure: values in, values out, like the rest of ``bot.safety``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.safety.patterns import PhraseIndex

Span = tuple[int, int]
# whether the word at a position is negated: the screen's own rule, handed in so it lives in one place
NegationCheck = Callable[[int], bool]


@dataclass(frozen=True)
class Term:
    """One group of risk words: how much it says alone, whether intent lifts it, whether it is a thing."""

    id: str
    strong: bool  # enough alone for concern
    lifts: bool  # a death or means word: with a sign of intent in its clause, urgent
    thing: bool  # a means ("the rope"): an article before it names the object, not someone else


@dataclass(frozen=True)
class BackstopHit:
    """What the backstop found in one clause: its level and the term that decided it."""

    level: str  # "urgent" | "concern"
    term: str


@dataclass(frozen=True)
class CompiledBackstop:
    """The backstop's word groups, indexed once per loaded file like the phrase families."""

    terms: PhraseIndex  # payload: Term
    intent: PhraseIndex
    benign: PhraseIndex
    selves: frozenset[str]  # "i", "me", "myself": the writer is the subject
    others: frozenset[str]  # "he", "she", "the": someone or something else
    articles: frozenset[str]  # "the", "a": for a thing, the object rather than a subject
    possessives: frozenset[str]  # "my", "our": "my dog" is someone else, "my life" the writer
    self_nouns: frozenset[str]  # "life", "self": "my life is over" is the writer's
    joins: frozenset[str]  # "and", "so", "when": where a subject stops reaching

    def grade(
        self, words: tuple[str, ...], judged: list[Span], negated: NegationCheck, harmless: list[Span]
    ) -> BackstopHit | None:
        """The backstop's level for one clause's words, or None (``judged``: spans already decided by a
        phrase family; ``harmless``: spans of the file's own harmless phrases)."""
        benign = harmless + [(start, end) for start, end, _ in self.benign.spans(words)]
        found: list[tuple[int, Term]] = []
        for start, end, payload in self.terms.spans(words):
            term: Term = payload  # type: ignore[assignment]
            if _inside(start, end, benign) or _overlaps(start, end, judged) or negated(start):
                continue
            if self._writer_or_unclear(words, start, term):
                found.append((start, term))
        if not found:
            return None
        intent = any(not negated(start) for start, _, _ in self.intent.spans(words))
        terms = {term.id: term for _, term in found}
        strong = [t for t in terms.values() if t.strong]
        if not strong and len(terms) < 2 and not intent:
            return None
        lifting = [t for t in terms.values() if t.lifts and (t.strong or len(terms) > 1)]
        if intent and lifting:
            return BackstopHit(level="urgent", term=lifting[0].id)
        return BackstopHit(level="concern", term=(strong or list(terms.values()))[0].id)

    def _writer_or_unclear(self, words: tuple[str, ...], start: int, term: Term) -> bool:
        """Looking back from the term, the first word naming someone: the writer, or nobody named."""
        for index in range(start - 1, -1, -1):
            word = words[index]
            if word in self.joins:
                return True
            if word in self.selves:
                return True
            if word in self.possessives:
                if term.thing:
                    continue  # "my father's gun": whose the means is, not who acts
                after = words[index + 1] if index + 1 < start else ""
                if after and after not in self.self_nouns:
                    return False
                continue
            if word in self.articles and term.thing:
                continue
            if word in self.others:
                return False
        return True


def _inside(start: int, end: int, spans: list[Span]) -> bool:
    return any(b_start <= start and end <= b_end for b_start, b_end in spans)


def _overlaps(start: int, end: int, spans: list[Span]) -> bool:
    return any(start < b_end and b_start < end for b_start, b_end in spans)
