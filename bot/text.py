"""Text cleaning at the inbound edges: keep everything a participant wrote that a database can store.

PostgreSQL refuses a NUL character in text, and a lone UTF-16 surrogate (which a JSON update may
carry) cannot be encoded at all; either would fail the whole event and lose the message. Each such
character becomes U+FFFD (the replacement character) and the rest of the text is kept as written.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_REFUSED = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD; everything else unchanged."""
    return _REFUSED.sub(REPLACEMENT, text)
