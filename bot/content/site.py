"""A site's own wording for licensed instruments: an overlay directory merged over ``content/``.

Licensed questionnaires (CSQ, MPI-S, PAIRS, HADS, QOLI, MADRS-S) ship with scoring rules and empty
wording slots. A site holding a licence keeps the wording in its own directory (settings:
``site_content_dir``), never in this repository, as ``instruments/<id>.yaml``::

    id: csq_catastrophizing
    intro: "..."              # optional: title, intro, response_labels may be given too
    items:
      - {id: c1, text: "..."}   # an item may also have its own response_labels (lowest score first)

Only wording may be overlaid: the scoring stays the one the repository ships and tests. An
instrument whose every slot is filled becomes active; a partly filled one is a content error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content.schema import Instrument

WORDING_KEYS = frozenset({"id", "title", "intro", "response_labels", "items"})
ITEM_WORDING_KEYS = frozenset({"id", "text", "response_labels"})


def overlay_files(site_dir: Path | None) -> dict[str, Path]:
    """Instrument id (the file stem) -> overlay file."""
    if site_dir is None:
        return {}
    return {file.stem: file for file in sorted((site_dir / "instruments").glob("*.yaml"))}


def merge_wording(shipped: dict[str, Any], overlay: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Shipped instrument data with the overlay's wording put in; problems as (path, message)."""
    problems: list[tuple[str, str]] = []
    if not isinstance(overlay, dict):
        return shipped, [("", "expected a mapping of keys to values")]
    for key in sorted(set(overlay) - WORDING_KEYS):
        problems.append((key, "a site supplies wording only; scoring rules stay in the shipped file"))
    if overlay.get("id", shipped.get("id")) != shipped.get("id"):
        problems.append(("id", f"must be {shipped.get('id')!r} (the shipped instrument this file words)"))
    merged = dict(shipped)
    for key in ("title", "intro", "response_labels"):
        if key in overlay:
            merged[key] = overlay[key]
    items = [dict(item) if isinstance(item, dict) else item for item in shipped.get("items") or []]
    by_id = {item.get("id"): item for item in items if isinstance(item, dict)}
    for index, given in enumerate(overlay.get("items") or []):
        where = f"items.{index}"
        if not isinstance(given, dict):
            problems.append((where, "expected {id: ..., text: ...}"))
            continue
        for key in sorted(set(given) - ITEM_WORDING_KEYS):
            problems.append((f"{where}.{key}", "a site supplies wording only; scoring rules stay in the shipped file"))
        target = by_id.get(given.get("id"))
        if target is None:
            problems.append((f"{where}.id", f"no item {given.get('id')!r} in the shipped instrument"))
        else:
            target.update({k: v for k, v in given.items() if k in ("text", "response_labels")})
    merged["items"] = items
    return merged, problems


@dataclass(frozen=True)
class WordingStatus:
    instrument: str
    licence: str
    filled: int
    total: int

    @property
    def active(self) -> bool:
        return self.filled == self.total

    def line(self) -> str:
        if self.licence != "licensed":
            return f"{self.instrument}: {self.licence} wording shipped ({self.total} items): active"
        if self.active:
            return (
                f"{self.instrument}: licensed wording supplied by the site ({self.filled}/{self.total} slots): active"
            )
        return f"{self.instrument}: licensed wording slots empty ({self.filled}/{self.total} filled): skipped until supplied"


def wording_status(instrument: Instrument) -> WordingStatus:
    filled = sum(1 for item in instrument.items if item.text)
    return WordingStatus(instrument.id, instrument.licence, filled, len(instrument.items))


def partly_filled(instrument: Instrument) -> list[str]:
    """Item ids still empty when some, not all, slots are filled (a half-worded questionnaire)."""
    empty = [item.id for item in instrument.items if not item.text]
    return empty if 0 < len(empty) < len(instrument.items) else []


def site_digest(site_dir: Path | None) -> bytes:
    """The overlay files' names and bytes, folded into the content version answers record."""
    digest = hashlib.sha256()
    for name, file in overlay_files(site_dir).items():
        digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.digest() if site_dir is not None else b""
