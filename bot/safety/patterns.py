"""Phrase patterns: how one line of ``content/safety/<lang>.yaml`` becomes word sequences, and how a
sequence is found in a participant's words.

A pattern is plain words with three marks, so one line covers a family of ways to say a thing:

- ``(a|b c|)`` one of the choices; an empty choice makes the group optional, and groups may nest:
  ``(want|going|plan) to (kill|hurt) myself``, ``my (wife|kids (at home|))``;
- ``...`` up to ``GAP_WORDS`` other words ("I want to **really** kill myself", "took **all of my**
  pills"), never across the end of a clause;
- ``$`` the end of a clause: ``can not go on $`` finds "I can't go on." but not "I can't go on walks";
- ``#`` a number of ``BIG_NUMBER`` or more written in digits: ``took # ... tablets`` finds "took 30
  tablets", not "took 2 tablets";
- ``stem*`` any word that begins with the stem: ``suicid*`` finds "suicide", "suicidal", "suicidally"
  and ``overdos*`` "overdosing", so a family need not list every ending (a slip is forgiven in a stem
  of five letters or more, as in a word);
- ``<name>`` any entry of the word list ``name`` (the YAML's ``word_lists``: ``<pills>`` is "tablets",
  "co-codamol", "sleeping pills" …), so one family names every medicine or method without a pattern
  growing into thousands of forms; a list entry forgives a slip like any word and may be written as
  one word ("cocodamol").

Words are compared after ``normalise`` (so "don't" is "do not", "wanna" is "want to"); a word of
``FUZZY_MIN_LENGTH`` letters or more may be one letter off or have two letters swapped ("myslef",
"suicde"), though never in its first letter; "kill my self" and "selfharm" join or split words.
An index may be given ``plain_words``: everyday words that are never read as a slip of another
("doing" is not "dying", "going" not "gone").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

from bot.safety.normalise import Rewrites, fold, rewrite, words

GAP, END, NUMBER, STEM = "...", "$", "#", "*"
BIG_NUMBER = 10  # "took 30 tramadol": a count of pills worth an alert (two paracetamol is not)
GAP_WORDS = 4
FUZZY_MIN_LENGTH = 5
MAX_JOIN = 3  # "kill my self" ~ "kill myself", "selfharm" ~ "self harm": at most three words joined
MAX_EXPANSIONS = 5000
_GROUP = re.compile(r"\(([^()]*)\)")
_MARKS = re.compile(r"(\.\.\.|\$|#|<[a-z][a-z0-9_]*>|\b[a-z]+\*)")
LIST_NAME = re.compile(r"<([a-z][a-z0-9_]*)>")

Sequence_ = tuple[str, ...]


class PatternError(ValueError):
    """A pattern that cannot be read (said with the pattern, so the author can find the line)."""


def expand(pattern: str) -> list[str]:
    """Every plain form of a pattern's ``(a|b)`` groups: "(want|going) to die" -> two lines."""
    if pattern.count("(") != pattern.count(")"):
        raise PatternError(f"pattern {pattern!r} has unbalanced brackets")
    done: dict[str, None] = {}  # (a nested group repeats its neighbours' forms: kept once)
    todo = [pattern]
    while todo:
        current = todo.pop()
        group = _GROUP.search(current)
        if group is None:
            done[" ".join(current.split())] = None
            continue
        for choice in group.group(1).split("|"):
            todo.append(f"{current[: group.start()]} {choice} {current[group.end() :]}")
        if len(done) > MAX_EXPANSIONS:
            raise PatternError(f"pattern {pattern!r} has more than {MAX_EXPANSIONS} forms: split it")
    return list(done)


def sequences(pattern: str, rewrites: Rewrites) -> list[Sequence_]:
    """The word sequences a pattern stands for, normalised like a participant's text."""
    found: list[Sequence_] = []
    for line in expand(pattern):
        seq: list[str] = []
        for part in _MARKS.split(line):
            if part in (GAP, END, NUMBER) or is_list(part):
                seq.append(part)
            elif is_stem(part):
                seq.append(fold(part))
            else:
                seq.extend(rewrite(_pattern_words(part), rewrites))
        cleaned = _tidy(seq)
        if not any(token not in (GAP, END, NUMBER) for token in cleaned):
            raise PatternError(f"pattern {pattern!r} has a form with no words")
        if cleaned[0] in (GAP, END, NUMBER) or (END in cleaned and cleaned[-1] != END) or cleaned[-1] == GAP:
            raise PatternError(f"pattern {pattern!r}: '...' goes between words and '$' only at the end")
        found.append(cleaned)
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=16384)
def _pattern_words(part: str) -> tuple[str, ...]:
    """``words`` of a piece of a pattern: a file's alternatives expand into tens of thousands of forms
    made of a few hundred pieces, and the rules are checked when loaded and indexed when compiled."""
    return words(part)


def is_stem(token: str) -> bool:
    """A ``stem*`` mark: any word that begins with the stem."""
    return len(token) > 1 and token.endswith(STEM)


def stem_matches(stem: str, seen: str) -> bool:
    """``seen`` begins with ``stem`` (its ``*`` cut off), or with a slip of it in a long stem."""
    base = stem[:-1]
    if seen.startswith(base):
        return True
    if len(base) < FUZZY_MIN_LENGTH or seen[:1] != base[:1]:
        return False
    return any(same(base, seen[:size]) for size in (len(base) - 1, len(base) + 1) if size <= len(seen)) or (
        len(seen) >= len(base) and same(base, seen[: len(base)])
    )


def is_list(token: str) -> bool:
    """A ``<name>`` mark: one entry of a word list, not a word."""
    return token.startswith("<") and token.endswith(">")


class WordList:
    """The entries of one ``<name>`` list, normalised like a text, and where one of them ends."""

    __slots__ = ("_exact", "_fuzzy", "_longest")

    def __init__(self, entries: list[Sequence_]) -> None:
        exact = {entry for entry in entries if entry}
        exact |= {("".join(entry),) for entry in exact if len(entry) > 1}  # "co codamol" ~ "cocodamol"
        self._exact = exact
        self._fuzzy = tuple(e[0] for e in exact if len(e) == 1 and len(e[0]) >= FUZZY_MIN_LENGTH)
        self._longest = max((len(e) for e in exact), default=0)

    def ends(self, tokens: Sequence_, t: int) -> Iterator[int]:
        """Every end of an entry that starts at token ``t`` (exact, or one slip off a long word)."""
        for size in range(1, min(self._longest, len(tokens) - t) + 1):
            if tokens[t : t + size] in self._exact:
                yield t + size
        if t < len(tokens) and (tokens[t],) not in self._exact and len(tokens[t]) >= FUZZY_MIN_LENGTH - 1:
            seen = tokens[t]
            if any(word[0] == seen[0] and same(word, seen) for word in self._fuzzy):
                yield t + 1


WordLists = Mapping[str, WordList]


def _tidy(seq: list[str]) -> Sequence_:
    """Two gaps in a row (an optional word between them left out) are one gap."""
    out: list[str] = []
    for token in seq:
        if token == GAP and out and out[-1] == GAP:
            continue
        out.append(token)
    return tuple(out)


def find(wanted: Sequence_, tokens: Sequence_, lists: WordLists | None = None) -> Iterator[tuple[int, int]]:
    """Every (start, end) span of ``tokens`` that ``wanted`` matches, one per start."""
    for start in range(len(tokens)):
        end = match_at(wanted, tokens, start, lists)
        if end is not None:
            yield start, end


def match_at(wanted: Sequence_, tokens: Sequence_, start: int, lists: WordLists | None = None) -> int | None:
    """Where a match of ``wanted`` starting at token ``start`` ends, or None."""
    return _match(wanted, 0, tokens, start, lists or {})


def _match(wanted: Sequence_, w: int, tokens: Sequence_, t: int, lists: WordLists) -> int | None:
    if w == len(wanted):
        return t
    word = wanted[w]
    if word == END:
        return t if t == len(tokens) else None
    if word == GAP:
        for skip in range(GAP_WORDS + 1):
            if t + skip > len(tokens):
                break
            end = _match(wanted, w + 1, tokens, t + skip, lists)
            if end is not None:
                return end
        return None
    if word == NUMBER:
        seen = tokens[t] if t < len(tokens) else ""
        return _match(wanted, w + 1, tokens, t + 1, lists) if seen.isdigit() and int(seen) >= BIG_NUMBER else None
    if is_list(word):
        for after in lists[word[1:-1]].ends(tokens, t):
            end = _match(wanted, w + 1, tokens, after, lists)
            if end is not None:
                return end
        return None
    if is_stem(word):
        return (
            _match(wanted, w + 1, tokens, t + 1, lists) if t < len(tokens) and stem_matches(word, tokens[t]) else None
        )
    if t == len(tokens) or tokens[t][0] != word[0]:
        return None  # (fuzzy matching never forgives the first letter)
    for take_w in range(1, _plain_run(wanted, w) + 1):
        for take_t in range(1, min(MAX_JOIN, len(tokens) - t) + 1):
            if take_w > 1 and take_t > 1:
                continue  # join words on one side only
            joined_w, joined_t = "".join(wanted[w : w + take_w]), "".join(tokens[t : t + take_t])
            if joined_w == joined_t or (take_w == take_t == 1 and same(joined_w, joined_t)):
                end = _match(wanted, w + take_w, tokens, t + take_t, lists)
                if end is not None:
                    return end
    return None


def _plain_run(wanted: Sequence_, w: int) -> int:
    """How many words from ``w`` on may be joined (never across a gap or the end mark)."""
    run = 0
    while run < MAX_JOIN and w + run < len(wanted) and not _mark(wanted[w + run]):
        run += 1
    return run


def _mark(token: str) -> bool:
    return token in (GAP, END, NUMBER) or is_list(token) or is_stem(token)


def same(wanted: str, seen: str) -> bool:
    """The same word, or one typing slip away from it in a long enough word."""
    if wanted == seen:
        return True
    if len(wanted) < FUZZY_MIN_LENGTH or abs(len(wanted) - len(seen)) > 1:
        return False
    return _one_edit(wanted, seen) or _swapped(wanted, seen)


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


def _swapped(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with two neighbouring letters swapped ("myslef" for "myself")."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


class _Node:
    """One place in the trie of sequences: the words that may come next, and what ends here."""

    __slots__ = ("edges", "ends", "fuzzy", "joins", "lists", "stems")

    def __init__(self) -> None:
        self.edges: dict[str, _Node] = {}
        self.fuzzy: tuple[str, ...] = ()  # edge words long enough to forgive a slip in
        self.joins: dict[str, _Node] = {}  # two or three edge words in a row written as one ("selfharm")
        self.lists: tuple[str, ...] = ()  # edges that are a ``<name>`` word list
        self.stems: tuple[str, ...] = ()  # edges that are a ``stem*``
        self.ends: list[object] = []


class PhraseIndex:
    """Many sequences in one trie, so a text is walked once per start word whatever the number of
    patterns (a family's ``(a|b)`` groups expand into thousands of sequences sharing their beginnings).

    The walk does what ``match_at`` does for one sequence: a word one slip away, words joined on either
    side ("selfharm", "kill my self"), gaps, the clause end and big numbers."""

    def __init__(
        self,
        entries: list[tuple[Sequence_, object]],
        lists: WordLists | None = None,
        plain_words: frozenset[str] = frozenset(),
        exact: bool = False,
    ) -> None:
        self._root = _Node()
        self._lists = lists or {}
        self._plain = plain_words
        self._exact = exact  # no slips: for short everyday markers ("picked" must not read "packed")
        self._size = 0
        for seq, payload in entries:
            self._insert(seq, payload)
        self._freeze(self._root)

    def __len__(self) -> int:
        return self._size

    def _insert(self, seq: Sequence_, payload: object) -> None:
        node = self._root
        for word in seq:
            node = node.edges.setdefault(word, _Node())
        if payload not in node.ends:
            node.ends.append(payload)
            self._size += 1

    def _freeze(self, node: _Node) -> None:
        """Per node: the words that forgive a slip, the list edges, and shortcuts for joined words
        (kept as edges to the node after the last joined word, so no branch of the trie is copied)."""
        node.fuzzy = () if self._exact else tuple(w for w in node.edges if len(w) >= FUZZY_MIN_LENGTH and not _mark(w))
        node.lists = tuple(w for w in node.edges if is_list(w))
        node.stems = tuple(w for w in node.edges if is_stem(w))
        todo: list[tuple[str, _Node, int]] = [(w, child, 1) for w, child in node.edges.items() if not _mark(w)]
        while todo:
            joined, at, size = todo.pop()
            if size > 1:
                node.joins.setdefault(joined, at)
            if size < MAX_JOIN:
                todo.extend((joined + w, child, size + 1) for w, child in at.edges.items() if not _mark(w))
        for child in node.edges.values():
            self._freeze(child)

    def spans(self, tokens: Sequence_) -> list[tuple[int, int, object]]:
        """Every (start, end, payload) where a sequence matches ``tokens`` (the longest end per payload)."""
        found: list[tuple[int, int, object]] = []
        for start in range(len(tokens)):
            ends: dict[int, int] = {}
            payloads: dict[int, object] = {}
            for end, payload in self._walk(self._root, tokens, start):
                key = id(payload)
                if end > ends.get(key, -1):
                    ends[key], payloads[key] = end, payload
            found.extend((start, ends[key], payloads[key]) for key in ends)
        return found

    def _walk(self, node: _Node, tokens: Sequence_, t: int) -> Iterator[tuple[int, object]]:
        for payload in node.ends:
            yield t, payload
        edges = node.edges
        if not edges:
            return
        if END in edges and t == len(tokens):
            yield from self._walk(edges[END], tokens, t)
        if GAP in edges:
            for skip in range(GAP_WORDS + 1):
                if t + skip > len(tokens):
                    break
                after = edges[GAP]
                if END in after.edges and t + skip == len(tokens):  # "join my husband ... $"
                    yield from self._walk(after.edges[END], tokens, t + skip)
                yield from self._walk_plain(after, tokens, t + skip)
        yield from self._walk_plain(node, tokens, t)

    def _walk_plain(self, node: _Node, tokens: Sequence_, t: int) -> Iterator[tuple[int, object]]:
        """The word edges of ``node`` from token ``t`` (a gap's child is walked here without its ends)."""
        edges = node.edges
        if t >= len(tokens):
            return
        if NUMBER in edges and tokens[t].isdigit() and int(tokens[t]) >= BIG_NUMBER:
            yield from self._walk(edges[NUMBER], tokens, t + 1)
        for name in node.lists:
            for after in self._lists[name[1:-1]].ends(tokens, t):
                yield from self._walk(edges[name], tokens, after)
        for stem in node.stems:
            if stem_matches(stem, tokens[t]):
                yield from self._walk(edges[stem], tokens, t + 1)
        for take in range(1, min(MAX_JOIN, len(tokens) - t) + 1):
            seen = "".join(tokens[t : t + take])
            child = edges.get(seen)
            if child is not None:
                yield from self._walk(child, tokens, t + take)
            if take == 1 and seen in node.joins:
                yield from self._walk(node.joins[seen], tokens, t + 1)
            if take == 1 and len(seen) >= FUZZY_MIN_LENGTH - 1 and seen not in self._plain:  # a slip: one word
                for word in node.fuzzy:
                    if word != seen and word[0] == seen[0] and same(word, seen):
                        yield from self._walk(edges[word], tokens, t + take)
