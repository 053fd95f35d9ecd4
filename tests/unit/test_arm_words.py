"""Each arm reads words that are true for it: the waiting list is not thanked for a programme it has not
had at its post measurement, is not told what it "practised" before the primary outcome, and after
crossing over is not promised final questionnaires that never come."""

from __future__ import annotations

import pytest

from bot.engine.model import ParticipantState
from bot.engine.turn import Turn

TREATED_ONLY = ("You have read, practised", "In the programme you practised", "Next come the final two weeks",
                "keep using your maintenance plan")  # fmt: skip


def words(programme, clock, arm: str | None, module: str, step: str) -> str:
    state = ParticipantState(code="P-0001", language="en", timezone="Europe/Stockholm", arm=arm)
    turn = Turn(programme, state, clock.now())
    return turn.step_text(next(s for s in programme.modules[module].steps if s.id == step))


@pytest.mark.parametrize(("module", "step"), [("post", "welcome"), ("post", "why_it_matters"),
                                              ("post", "csq_catastrophizing"), ("post", "closing"),
                                              ("week09", "closing")])  # fmt: skip
def test_the_waiting_list_reads_its_own_words_where_the_treated_words_would_be_untrue(programme, clock, module, step):
    own = words(programme, clock, "waiting_list", module, step)
    treated = words(programme, clock, "treatment", module, step)
    assert own != treated
    assert not any(phrase in own for phrase in TREATED_ONLY), own
    assert treated == words(programme, clock, None, module, step), "outside a trial the step's own text"


def test_every_post_step_the_treated_read_with_programme_words_has_a_waiting_list_version(programme, clock):
    for step in programme.modules["post"].steps:
        own = words(programme, clock, "waiting_list", "post", step.id)
        assert not any(phrase in own for phrase in TREATED_ONLY), (step.id, own)
