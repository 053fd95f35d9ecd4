"""Staff command parsing (pure): ``/interviewed P-0007 include`` or ``exclude <reason>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CODE = re.compile(r"^P-\d{4,}$")
USAGE = "usage: /interviewed P-0007 include [note] | /interviewed P-0007 exclude <reason>"


@dataclass(frozen=True)
class Interviewed:
    code: str
    outcome: Literal["include", "exclude"]
    reason: str | None


class CommandRejected(ValueError):
    """The staff command cannot be read; the message says how to write it."""


def parse_interviewed(args: str) -> Interviewed:
    parts = args.strip().split(maxsplit=2)
    if len(parts) < 2:
        raise CommandRejected(USAGE)
    code, outcome = parts[0].upper(), parts[1].lower()
    reason = parts[2].strip() if len(parts) == 3 else None
    if not CODE.match(code):
        raise CommandRejected(f"{parts[0]!r} is not a participant code like P-0007. {USAGE}")
    if outcome not in ("include", "exclude"):
        raise CommandRejected(f"say include or exclude, not {parts[1]!r}. {USAGE}")
    if outcome == "exclude" and not reason:
        raise CommandRejected(f"an exclusion needs a reason. {USAGE}")
    return Interviewed(code, "include" if outcome == "include" else "exclude", reason or None)
