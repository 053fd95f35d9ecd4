"""docs/programme-map.md stays true: every step and daily prompt of each scheduled module is named
in that module's section, and no message of the content is longer than a phone screen."""

from __future__ import annotations

import re

from bot.content.schema import ExerciseStep, FormStep
from tests.conftest import ROOT

MAP = ROOT / "docs" / "programme-map.md"
MAX_WORDS = 150


def sections() -> dict[str, str]:
    found = {}
    for block in re.split(r"^## ", MAP.read_text(), flags=re.M)[1:]:
        match = re.search(r"`modules/(\w+)\.yaml`", block)
        if block.startswith("Week") and match:
            found[match.group(1)] = block
    return found


def test_every_step_of_every_week_is_on_the_map(programme):
    by_module = sections()
    assert set(by_module) == {m.id for m in programme.scheduled}
    for module in programme.scheduled:
        text = by_module[module.id]
        missing = [s.id for s in module.steps if f"`{s.id}`" not in text]
        missing += [d.id for d in module.daily if f"`{d.id}`" not in text]
        assert not missing, f"{module.id}: not on the programme map: {missing}"


def test_no_message_is_longer_than_about_150_words(programme):
    def texts(step):
        yield step.text
        if isinstance(step, ExerciseStep):
            yield from step.script
        if isinstance(step, FormStep | ExerciseStep):
            yield from (r.lower for r in step.reflect)
            yield from (r.higher for r in step.reflect)
        for reply in getattr(step, "replies", ()):
            yield reply.text

    for module in programme.scheduled:
        for step in (*module.steps, *(d.step for d in module.daily)):
            for text in texts(step):
                words = len(programme.text(text, "en").split())
                assert words <= MAX_WORDS, f"{module.id}.{step.id}: {words} words"
    assert len(programme.msg("en", "content.medical_help").split()) <= MAX_WORDS
