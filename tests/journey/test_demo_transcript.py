"""The first two weeks as a participant sees them, kept in docs/demo-first-two-weeks.md.

The transcript is what the real console demo prints (``icbt demo --script``, a real process and a real
SQLite file) for tests/fixtures/demo_first_two_weeks.txt. Regenerate it after a content or engine change
with ``ICBT_WRITE_TRANSCRIPTS=1 ./dev test tests/journey/test_demo_transcript.py`` and read the difference; the
notes above the transcript (what a person in pain meets, the page count) are kept as they are.
"""

from __future__ import annotations

import os
import re

from tests.conftest import ROOT
from tests.support.demo import demo

DOC = ROOT / "docs" / "demo-first-two-weeks.md"
SCRIPT = ROOT / "tests" / "fixtures" / "demo_first_two_weeks.txt"
OPEN, CLOSE = "## Transcript\n\n```text\n", "\n```\n"


def test_the_committed_transcript_is_what_the_demo_prints_today(tmp_path):
    result = demo(tmp_path / "demo.sqlite3", SCRIPT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # a chart's file name counts the pictures already in the demo's chart folder: not part of the story
    printed = re.sub(r"\[picture: [^\]]+\]", "[picture]", result.stdout.rstrip("\n"))
    assert "Traceback" not in printed + result.stderr
    notes = DOC.read_text().split(OPEN)[0]
    if os.environ.get("ICBT_WRITE_TRANSCRIPTS"):
        DOC.write_text(notes + OPEN + printed + CLOSE)
    kept = DOC.read_text().split(OPEN)[1].removesuffix(CLOSE)
    assert kept == printed, (
        "docs/demo-first-two-weeks.md is out of date: ICBT_WRITE_TRANSCRIPTS=1 ./dev test tests/journey/test_demo_transcript.py"
    )


def test_the_transcript_covers_the_first_two_weeks_and_module_1():
    kept = DOC.read_text().split(OPEN)[1]
    for expected in (
        "Thank you. Your consent has been saved.",
        "Daily pain diary: that was the last entry.",
        "A new module is open: Module 1: Understanding pain.",
        "You have finished Module 1: Understanding pain. Well done.",
    ):
        assert expected in kept, expected
    assert "Question 1 of 1" not in kept, "a one-item questionnaire shows no counter"


def test_the_draw_and_the_application_read_right_in_the_transcript():
    """The demo's fixed trial seed draws the demo participant into the programme-now arm, after the
    application, the therapist's include and the baseline; the words at the draw count weeks as a person does."""
    kept = DOC.read_text().split(OPEN)[1]
    order = [
        "Before the study can begin, I'd like to ask you some questions",
        "you: /staff /interviewed P-0001 include",
        "Here is the consent to read once more.",
        "A new module is open: Getting started: the two weeks before the programme.",
        "The draw has been made: you start the programme now.",
        "A new module is open: Module 1: Understanding pain.",
    ]
    places = [kept.find(text) for text in order]
    assert -1 not in places and places == sorted(places), dict(zip(order, places, strict=True))
    told = kept[places[4] : places[5]]
    assert "in week 2" not in told, "the engine's week 2 is the third week a person counts: name no week number"
