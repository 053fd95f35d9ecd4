"""Text as the screen reads it: lower-case word tokens with accents, doubled letters, contractions and
chat spellings folded away, so that "I can’t go on", "i cant go on" and "I CANNOT GO ONNN" are the same
words to every pattern.

People in distress write fast, on a phone, with slang ("wanna die", "kms", "unalive myself"). Every
pattern of ``content/safety/<lang>.yaml`` goes through the same steps as the participant's text, so
a phrase list is written in plain words and still finds the short forms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NOT_WORD = re.compile(r"[^\w]+|_")
_REPEATS = re.compile(r"(.)\1+")
# The clause breaks of a text: a negation or a benign phrase never reaches across them.
CLAUSE = re.compile(r"[.!?;:,\n\u2013\u2014()]+|\s-\s")

Rewrites = Mapping[str, tuple[str, ...]]
# words as voice-to-text or a guess at spelling wrote them -> the words meant ("tram a doll" -> "tramadol")
SoundAlikes = Mapping[tuple[str, ...], tuple[str, ...]]


def fold(text: str) -> str:
    """Lower case without accents or curly apostrophes ("Självmord" -> "sjalvmord", "don’t" -> "dont")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.casefold().replace("'", "")


def squash(token: str) -> str:
    """A word with every doubled letter once ("killl" and "kil" both become "kil")."""
    return _REPEATS.sub(r"\1", token)


def words(text: str) -> tuple[str, ...]:
    """The squashed word tokens of ``text``, before any rewrite."""
    return tuple(squash(token) for token in _NOT_WORD.split(fold(text)) if token)


def rewrite(tokens: tuple[str, ...], rewrites: Rewrites) -> tuple[str, ...]:
    """Each token that is a known short form replaced by its words ("wana" -> "want to"), except after
    a number, where a short form is a unit ("walked 3 kms" is not "kill myself")."""
    out: list[str] = []
    for index, token in enumerate(tokens):
        if index and tokens[index - 1].isdigit():
            out.append(token)
        else:
            out.extend(rewrites.get(token, (token,)))
    return tuple(out)


def tokens(text: str, rewrites: Rewrites) -> tuple[str, ...]:
    """``text`` as the screen compares it: folded, squashed, short forms written out."""
    return rewrite(words(text), rewrites)


def respell(tokens: tuple[str, ...], table: SoundAlikes) -> tuple[str, ...]:
    """Word groups that sound like a risk word written as what they mean, longest group first.

    Voice typing writes "tram a doll" for "tramadol" and "my rests" for "my wrists"; a group names its
    context ("my rests", not "rests") so that "the rests between sets" stays what it is."""
    if not table:
        return tokens
    longest = max(len(key) for key in table)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            meant = table.get(tokens[index : index + size])
            if meant is not None:
                out.extend(meant)
                index += size
                break
        else:
            out.append(tokens[index])
            index += 1
    return tuple(out)


def compile_sound_alikes(table: Mapping[str, str], rewrites: Rewrites) -> dict[tuple[str, ...], tuple[str, ...]]:
    """The YAML's ``sound_alikes`` keyed by their words as the screen sees them (short forms written out)."""
    return {rewrite(words(heard), rewrites): rewrite(words(meant), rewrites) for heard, meant in table.items()}


def clauses(text: str) -> list[str]:
    """``text`` cut at punctuation that ends a thought (commas, full stops, dashes, line breaks)."""
    return [part for part in CLAUSE.split(text) if part.strip()]


def compile_rewrites(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The YAML's ``rewrites`` (short form -> plain words) keyed the way the screen looks them up.

    A plain word is itself folded and squashed, but not rewritten again, so "cant" -> "can not" cannot
    loop."""
    compiled: dict[str, tuple[str, ...]] = {}
    for short, plain in table.items():
        key = words(short)
        if len(key) == 1:
            compiled[key[0]] = words(plain)
    return compiled
