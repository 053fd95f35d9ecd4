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
  (a means: "the rope", "a blade") an article names the object, not another subject; for an
  ``impersonal`` one (hopelessness: "pointless", "no future") "it", "this", "everything" are the
  writer's life ("it's all pointless"); a term that itself names the writer ("put me out of my
  misery") is the writer's whoever is asked to do it;
- a **plain means** (``needs_self``: "exhaust", "razor blades", "jumped off", used every day) counts
  only when the writer is named as its subject ("I", not unclear) and the clause also holds a word of
  death, self-harm or intent: "the exhaust fell off" and "jumped off the diving board" stay quiet;
- an **absence** (``excusable``: "won't be around") is dropped when a reason follows it in its clause
  or the next ("won't be around on Friday, hospital appointment");
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
# whether a reason for an absence follows the word ending at a position (in its clause or the next)
ReasonCheck = Callable[[int], bool]


@dataclass(frozen=True)
class Term:
    """One group of risk words: how much it says alone, whether intent lifts it, whether it is a thing."""

    id: str
    strong: bool  # enough alone for concern
    lifts: bool  # a death or means word: with a sign of intent in its clause, urgent
    thing: bool  # a means ("the rope"): an article before it names the object, not someone else
    impersonal: bool = False  # hopelessness: "it", "this", "everything" before it are the writer's life
    needs_self: bool = False  # a plain means: the writer named as subject, and death, harm or intent
    excusable: bool = False  # an absence: a reason that follows explains it away


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
    impersonal: frozenset[str] = frozenset()  # "it", "this", "everything": for hopelessness, the writer

    def grade(
        self,
        words: tuple[str, ...],
        judged: list[Span],
        negated: NegationCheck,
        harmless: list[Span],
        excused: ReasonCheck = lambda end: False,
    ) -> BackstopHit | None:
        """The backstop's level for one clause's words, or None (``judged``: spans already decided by a
        phrase family; ``harmless``: spans of the file's own harmless phrases)."""
        benign = harmless + [(start, end) for start, end, _ in self.benign.spans(words)]
        found: list[tuple[int, Term]] = []
        plain: list[tuple[int, Term]] = []
        for start, end, payload in self.terms.spans(words):
            term: Term = payload  # type: ignore[assignment]
            if _inside(start, end, benign) or _overlaps(start, end, judged) or negated(start):
                continue
            if term.excusable and excused(end):
                continue
            if term.needs_self:
                if self._writer_named(words, start, end):
                    plain.append((start, term))
            elif self._writer_or_unclear(words, start, end, term):
                found.append((start, term))
        intent = any(not negated(start) for start, _, _ in self.intent.spans(words))
        if plain and (intent or any(t.lifts or t.strong for _, t in found)):
            found.extend(plain)  # a plain means counts only beside death, self-harm or intent
        if not found:
            return None
        terms = {term.id: term for _, term in found}
        strong = [t for t in terms.values() if t.strong]
        if not strong and len(terms) < 2 and not intent:
            return None
        # a plain means got here only with the writer and a sign beside it: it lifts like a strong one
        lifting = [t for t in terms.values() if t.lifts and (t.strong or t.needs_self or len(terms) > 1)]
        if intent and lifting:
            return BackstopHit(level="urgent", term=lifting[0].id)
        return BackstopHit(level="concern", term=(strong or list(terms.values()))[0].id)

    def _writer_named(self, words: tuple[str, ...], start: int, end: int) -> bool:
        """The writer named as the subject before a plain means ("I jumped off"), in it ("cut myself"),
        or left out at the start of the clause, as in clipped writing ("Taking everything tonight")."""
        if start == 0 or any(word in self.selves for word in words[start:end]):
            return True  # "Taking everything tonight.": a clause with no subject written is the writer's
        for index in range(start - 1, -1, -1):
            word = words[index]
            if word in self.selves:
                return True
            if word in self.articles or word in self.possessives:
                continue  # "I'll breathe the car exhaust": the object, not another subject
            if word in self.joins or word in self.others:
                return False
        return False

    def _writer_or_unclear(self, words: tuple[str, ...], start: int, end: int, term: Term) -> bool:
        """Looking back from the term, the first word naming someone: the writer, or nobody named."""
        if term.impersonal and any(word in self.selves for word in words[start:end]):
            return True  # "put me out of my misery": the writer's, whoever is asked
        for index in range(start - 1, -1, -1):
            word = words[index]
            if word in self.joins:
                return True
            if word in self.selves:
                return True
            if term.impersonal and word in self.impersonal:
                return True  # "it's all pointless", "everything is hopeless": the writer's life
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
