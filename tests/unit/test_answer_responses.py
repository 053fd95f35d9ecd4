"""Answers that call for a response: replies, skipped fields, checks, reflections, planned
reminders, and /medical — on the real content, through the engine, on the fake clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.detours import show_entries, work_kinds
from bot.engine.model import Frame, ParticipantState
from bot.engine.turn import Turn
from tests.support import Participant, history_of

STOCKHOLM_TOMORROW_1830 = datetime(2027, 1, 12, 17, 30, tzinfo=UTC)  # 18:30 CET on 12 January 2027


@pytest.fixture
def active(p) -> Participant:
    p.through_consent()
    return p


def labels(p: Participant) -> list[str]:
    return [b.label for row in p.last_message.buttons for b in row]


def stand_at(p: Participant, module: str, step: str, **where: object) -> None:
    """Put the participant at a step (as the programme would), and show it to them."""
    p.state.frames.append(Frame(module=module, step=step, entry="e1", **where))  # type: ignore[arg-type]
    p.command("foo")  # an unknown command shows the current question again


def fields_of(p: Participant, module: str, step: str) -> list[str]:
    form = p.engine.programme.step(module, step)
    return [f.id for f in form.fields]


def test_goal_confidence_below_seven_gets_the_shrink_the_goal_advice(active):
    index = fields_of(active, "week02", "goals").index("confidence")
    stand_at(active, "week02", "goals", part=index)
    active.type("5")
    said = " ".join(o.text for o in active.last.outbound)
    assert "Try a smaller version" in said


def test_goal_confidence_of_eight_gets_encouragement_not_the_advice(active):
    index = fields_of(active, "week02", "goals").index("confidence")
    stand_at(active, "week02", "goals", part=index)
    active.type("8")
    said = " ".join(o.text for o in active.last.outbound)
    assert "Try a smaller version" not in said
    assert "a goal worth starting with" in said


def test_a_single_choice_step_replies_to_the_option_chosen(active, programme):
    module = programme.modules["week04"]
    step = next(s for s in module.steps if getattr(s, "replies", ()) and s.kind == "choice")
    stand_at(active, "week04", step.id)
    active.press("A lot") if "A lot" in labels(active) else active.press()
    reply_texts = {programme.text(r.text, "en") for r in step.replies}
    assert reply_texts & {o.text for o in active.last.outbound}


def test_activity_record_no_never_asks_about_pain_and_leaves_it_out_of_the_summary(active, clock):
    stand_at(active, "week04", "record", daily="activity_record", day="2027-01-11")
    active.press("No")
    assert "What got in the way" in active.last_message.text
    asked = " ".join(active.texts())
    assert "How strong was your pain" not in asked
    active.type("Visitors came")
    summary = next(o.text for o in active.last.outbound if "Visitors came" in o.text)
    assert "pain" not in summary.casefold()
    fields = {a.field for a in active.all_answers() if a.step == "activity_record"}
    assert "pain" not in fields and "satisfaction" not in fields


def test_activity_record_yes_asks_about_pain_and_not_what_got_in_the_way(active):
    stand_at(active, "week04", "record", daily="activity_record", day="2027-01-11")
    active.press("Yes")
    assert "How strong was your pain" in active.last_message.text
    active.type("4")
    active.type("7")
    assert "What got in the way" not in " ".join(active.texts())
    assert active.state.frame is None or active.state.frame.daily != "activity_record"


def _pain_diary(p: Participant) -> tuple[str, str, list[str]]:
    form = next(s for s in p.engine.programme.modules["baseline"].steps if getattr(s, "checks", ()))
    return "baseline", form.id, [f.id for f in form.fields]


def _answer_diary(p: Participant, ids: list[str], values: dict[str, str]) -> None:
    for fid in ids:
        if p.state.frame is None or p.state.frame.stage != "main":
            return
        if fid in values:
            p.type(values[fid])
        elif p.last_message.buttons:
            p.press()
        else:
            p.type("5")


def test_worst_pain_below_average_asks_and_a_change_is_stored_and_goes_on(active):
    module, step, ids = _pain_diary(active)
    stand_at(active, module, step)
    _answer_diary(active, ids, {"average_pain": "9", "worst_pain": "3"})
    assert "Is that what you meant?" in active.last_message.text
    assert labels(active)[:2] == ["Yes, that's right", "Let me change it"]
    active.press("Let me change it")
    assert active.state.frame.part == ids.index("worst_pain")
    active.type("9")
    worst = [a.value for a in active.all_answers() if a.field == "worst_pain"]
    assert worst[-1] == 9
    assert active.state.log[module]["numbers"][f"{step}.worst_pain"] == [9]  # the week's tally counts it once
    summary = next(
        o.text for o in active.last.outbound if o.text.startswith(active.engine.programme.msg("en", "form.summary"))
    )
    assert "9" in summary and " 3" not in summary
    assert active.state.frame is None or active.state.frame.step != step or active.state.frame.stage != "check"


def test_confirming_an_unusual_pair_goes_on_without_asking_again(active):
    module, step, ids = _pain_diary(active)
    stand_at(active, module, step)
    _answer_diary(active, ids, {"average_pain": "9", "worst_pain": "3"})
    active.press("Yes, that's right")
    said = [o.text for o in active.last.outbound]
    assert not any("Is that what you meant?" in t for t in said)
    assert any(t.startswith(active.engine.programme.msg("en", "form.summary")) for t in said)


def test_a_pain_diary_with_worst_at_least_average_is_not_questioned(active):
    module, step, ids = _pain_diary(active)
    stand_at(active, module, step)
    _answer_diary(active, ids, {"average_pain": "4", "worst_pain": "7"})
    assert not any("Is that what you meant?" in t for t in active.texts())


def test_exercise_log_reflects_tension_going_from_seven_to_four(active, programme):
    stand_at(active, "week02", "breathing")
    while labels(active) != ["I did it", "Not now"] and "Next" in " ".join(labels(active)):
        active.press()
    active.press()  # did it
    log = [f.id for f in programme.step("week02", "breathing").log]
    for fid in log:
        active.type({"tension_before": "7", "tension_after": "4"}.get(fid, "5"))
    assert any("Your tension went from 7 to 4" in t for t in active.texts())


def test_thought_record_reflects_belief_seventy_then_forty(active, programme):
    ids = fields_of(active, "week05", "thought_record")
    stand_at(active, "week05", "thought_record")
    for fid in ids:
        active.type({"belief": "70", "belief_after": "40"}.get(fid, "50" if "strength" in fid else "words"))
    assert any("You believed the thought 70 out of 100, and now 40" in t for t in active.texts())


def test_planned_activity_reminder_comes_at_the_planned_local_time_once(programme, clock):
    clock.set(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    p = Participant(programme, clock)
    p.through_consent()
    ids = fields_of(p, "week04", "activity_plan")
    stand_at(p, "week04", "activity_plan")
    for fid in ids:
        if fid == "day":
            p.press("Tomorrow")
        elif fid == "time":
            p.type("18:30")
        elif fid == "linked_goal":
            p.press("Skip")
        else:
            p.type("a walk to the park")
    assert p.state.planned and p.state.planned[0]["at"] == STOCKHOLM_TOMORROW_1830.isoformat()
    assert p.engine.next_due(p.state, clock.now()) <= STOCKHOLM_TOMORROW_1830
    clock.set(STOCKHOLM_TOMORROW_1830 - timedelta(minutes=1))
    assert not any("time for the activity you planned" in o.text for o in p.tick().outbound)
    clock.set(STOCKHOLM_TOMORROW_1830)
    sent = [o for o in p.tick().outbound if "time for the activity you planned" in o.text]
    assert len(sent) == 1 and sent[0].dedup_key
    clock.set(STOCKHOLM_TOMORROW_1830 + timedelta(hours=1))
    assert not any("time for the activity you planned" in o.text for o in p.tick().outbound)
    assert p.state.planned == []


def test_next_due_points_at_the_planned_reminder(programme, clock):
    clock.set(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    p = Participant(programme, clock)
    p.through_consent()
    p.state.planned = [{"at": STOCKHOLM_TOMORROW_1830.isoformat(), "text": "go", "key": "k"}]
    with_reminder = p.engine.next_due(p.state, clock.now())
    p.state.planned = []
    without = p.engine.next_due(p.state, clock.now())
    assert with_reminder == STOCKHOLM_TOMORROW_1830
    assert without is None or without > STOCKHOLM_TOMORROW_1830


def test_a_plan_for_a_time_already_past_gets_no_reminder(programme, clock):
    clock.set(datetime(2027, 1, 11, 19, 0, tzinfo=UTC))  # 20:00 in Stockholm
    p = Participant(programme, clock)
    p.through_consent()
    ids = fields_of(p, "week04", "activity_plan")
    stand_at(p, "week04", "activity_plan")
    for fid in ids:
        if fid == "day":
            p.press("Today")
        elif fid == "time":
            p.type("08:00")
        elif fid == "linked_goal":
            p.press("Skip")
        else:
            p.type("stretching")
    assert p.state.planned == []


def test_medical_shows_the_medical_help_page_and_then_the_current_step(active, programme):
    before = active.last_message
    active.command("medical")
    texts = [o.text for o in active.last.outbound]
    assert texts[0] == programme.msg("en", "content.medical_help")
    assert active.last_message.text == before.text or active.last_message.buttons


def test_a_newcomer_who_opens_with_medical_gets_the_page_and_then_the_start(p, programme):
    p.command("medical")
    texts = [o.text for o in p.last.outbound]
    assert texts[0] == programme.msg("en", "content.medical_help")
    assert p.state.status == "onboarding" and p.last_message.buttons


def test_a_planned_reminder_survives_the_position_being_stored_and_read_back(active):
    active.state.planned = [{"at": STOCKHOLM_TOMORROW_1830.isoformat(), "text": "go", "key": "k"}]
    restored = ParticipantState(code="P-TEST", language="en", timezone="Europe/Stockholm")
    restored.load_position(json.loads(json.dumps(active.state.position_json())))
    assert restored.planned == active.state.planned
    restored.load_position({"frames": []})  # a row written before planned reminders existed
    assert restored.planned == []


def test_mywork_shows_the_changed_answer_only(active, programme):
    module, step, ids = _pain_diary(active)
    stand_at(active, module, step)
    _answer_diary(active, ids, {"average_pain": "9", "worst_pain": "3"})
    active.press("Let me change it")
    active.type("9")
    turn = Turn(programme, active.state, active.clock.now(), history=history_of(active))
    show_entries(turn, step, work_kinds(turn)[step])
    label = programme.text(next(f.label for f in work_kinds(turn)[step].fields if f.id == "worst_pain"), "en")
    worst = [line for line in turn.effects.outbound[-1].text.splitlines() if label.splitlines()[0] in line]
    assert worst == [f"• {label.splitlines()[0]} 9"]
