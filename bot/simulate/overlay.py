"""A made-up site overlay so the simulator can give the licensed questionnaires.

The licensed instruments (CSQ catastrophizing, the primary outcome, MPI-S, PAIRS, HADS, QOLI,
MADRS-S) ship with empty wording slots; a real site supplies its licensed text in its own folder.
The simulator writes placeholder statements that say plainly they are not the real wording into a
temporary folder of that shape, and loads the programme with it. No licensed text is ever used.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.content.loader import load_programme
from bot.content.programme import Programme

PLACEHOLDER = "Simulated statement {n} of {title} (made up for the simulator, not the licensed wording)"


def write_overlay(content_dir: Path, folder: Path, plain: Programme | None = None) -> Path:
    """Write ``folder/instruments/<id>.yaml`` with placeholder wording for every licensed instrument
    (``plain``: the content already loaded without an overlay, so it is not loaded twice)."""
    plain = plain or load_programme(content_dir)
    target = folder / "instruments"
    target.mkdir(parents=True, exist_ok=True)
    for instrument in plain.instruments.values():
        if instrument.licence != "licensed":
            continue
        title = plain.text(instrument.title, plain.spec.default_language)
        items = [{"id": item.id, "text": PLACEHOLDER.format(n=n, title=title)} for n, item in
                 enumerate(instrument.items, start=1)]  # fmt: skip
        data = {"id": instrument.id, "items": items}
        (target / f"{instrument.id}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def simulated_programme(content_dir: Path, folder: Path, plain: Programme | None = None) -> Programme:
    """The real content with the made-up overlay: every licensed questionnaire is given."""
    return load_programme(content_dir, write_overlay(content_dir, folder, plain))
