"""Earlier work stays reachable: /mywork, adding to a recurring form, and reopening a module."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import Inbound
from tests.support import Participant, auto_answer, finish_current_module


@pytest.fixture
def p(programme, clock) -> Participant:
    participant = Participant(programme, clock)
    participant.through_consent()
    finish_current_module(participant)  # baseline
    clock.advance(timedelta(days=14, hours=3))
    participant.tick()  # week 2 opens
    return participant


def mywork(p: Participant):
    return p.send(Inbound(kind="command", text="mywork"))


def test_mywork_shows_goals_and_lets_the_participant_add_one(p):
    finish_current_module(p)  # week 2: goals, compass heading, weekly report
    effects = mywork(p)
    labels = [b.label for row in effects.outbound[-1].buttons for b in row]
    goals_title = p.engine.programme.text(p.engine.programme.step("week02", "goals").title, "en")
    assert goals_title in labels
    p.press(goals_title)
    shown = p.last_message.text
    assert shown.startswith("My goals – 1 entry:")
    assert "• " in shown and " 5" in shown  # auto_answer typed "5" into every field
    p.press("Add a new entry")
    assert p.state.frame.detour == "step" and p.state.frame.step == "goals"
    entries_before = {a.entry for a in p.all_answers() if a.step == "goals"}
    for _ in range(30):
        if p.state.frame is None:
            break
        auto_answer(p)
    entries_after = {a.entry for a in p.all_answers() if a.step == "goals"}
    assert len(entries_after) == len(entries_before) + 1, "a new entry, field by field"
    assert p.state.frames == [], "after the detour the participant is back where they were (idle)"


def test_adding_an_entry_mid_module_returns_to_the_same_step(p):
    for _ in range(40):
        if p.state.frame.step == "compass_heading":
            break
        auto_answer(p)
    step_before = p.state.frame.step
    mywork(p)
    p.press(p.engine.programme.text(p.engine.programme.step("week02", "goals").title, "en"))
    p.press("Add a new entry")
    for _ in range(30):
        if p.state.frame.detour is None:
            break
        auto_answer(p)
    assert p.state.frame.step == step_before, (step_before, p.state.frames)
    assert "back to where you were" in " ".join(p.texts()[-4:]), p.texts()[-6:]


def test_reopening_a_finished_module_walks_it_again_and_returns(p):
    finish_current_module(p)
    effects = p.command("modules")
    labels = [b.label for row in effects.outbound[-1].buttons for b in row]
    assert "Module 1: Understanding pain" in labels
    p.press("Module 1: Understanding pain")
    assert p.state.frame.module == "week02" and p.state.frame.detour == "module"
    finish_current_module(p)
    assert any("That was the end of Module 1" in t for t in p.texts()[-5:])
    assert p.state.finished.count("week02") == 1
    assert p.state.status == "active" and p.state.frames == []


def test_reading_getting_started_again_never_asks_its_questionnaires_again(p):
    programme = p.engine.programme
    questionnaires = {s.id for s in programme.modules["baseline"].steps if s.kind == "questionnaire"}
    p.command("modules")
    before = len(p.effects)
    p.press(programme.text(programme.modules["baseline"].title, "en"))
    finish_current_module(p)
    during = p.effects[before:]
    assert not any(e.scores for e in during), "no questionnaire is scored a second time"
    stored = [a for e in during for a in e.answers if a.step in questionnaires]
    assert stored == [], "no questionnaire item is answered a second time"
    texts = [o.text for e in during for o in e.outbound]
    assert texts.count(programme.msg("en", "review.questionnaire_closed")) == 1
    assert p.state.frame.module == "week02" and p.state.frame.detour is None
