"""The weekly report loop for the therapist: asked near the end of the week, re-asked, alerted when
late, and turned into one summary (plus the participant's question) for the therapist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.engine import Inbound
from bot.engine.model import Policy
from tests.support import Participant, auto_answer, finish_current_module


@pytest.fixture
def p(programme, clock) -> Participant:
    participant = Participant(programme, clock)
    participant.through_consent()
    finish_current_module(participant)  # baseline, on Monday 5 January
    clock.advance(timedelta(days=14, hours=3))  # Monday 19 January, 11:00 in Stockholm
    participant.tick()  # week 2 opens
    return participant


def stockholm(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment counted from 1 January 2026 (day 32 is 1 February), given in Stockholm time (UTC+1)."""
    return datetime(2026, 1, 1, hour - 1, minute, tzinfo=UTC) + timedelta(days=day - 1)


def report_offers(p: Participant) -> list[str]:
    return [o.text for e in p.effects for o in e.outbound if o.dedup_key and o.dedup_key.startswith("report:")]


def fill_report(p: Participant, question: str = "", hardest: str = "Getting up in the morning") -> None:
    p.press("Fill it in now")
    for _ in range(20):
        frame = p.state.frame
        if frame is None or frame.detour != "report":
            return
        label = p.engine.programme.step(frame.module, frame.step).fields[frame.part].id
        if label == "question":
            p.type(question) if question else p.press("Skip")
        elif label == "hardest":
            p.type(hardest)
        else:
            p.press("Yes")
    raise AssertionError("the report did not end")


def test_report_is_not_asked_straight_after_reading_but_on_day_6_at_19(p, clock):
    finish_current_module(p)
    assert not [t for t in p.texts() if "Weekly report" in t or "weekly report" in t.lower()[:40]]
    assert report_offers(p) == []
    due = p.engine.next_due(p.state, clock.now())
    assert due <= stockholm(25, 19), "the sweep wakes the participant for the report"
    clock.set(stockholm(25, 18, 59))
    p.tick()
    assert report_offers(p) == []
    clock.set(stockholm(25, 19))
    p.tick()
    assert len(report_offers(p)) == 1 and "weekly report on Module 1" in report_offers(p)[0]
    p.tick()
    assert len(report_offers(p)) == 1, "offered once"


def test_later_asks_again_the_next_evening(p, clock):
    finish_current_module(p)
    clock.set(stockholm(25, 19))
    p.tick()
    effects = p.press("Later")
    assert "tomorrow evening" in effects.outbound[0].text
    clock.set(stockholm(26, 18, 59))
    p.tick()
    assert len(report_offers(p)) == 1
    clock.set(stockholm(26, 19))
    p.tick()
    assert len(report_offers(p)) == 2


def test_late_report_gets_reminders_up_to_the_cap_then_alerts_the_therapist(p, clock):
    finish_current_module(p)
    alerts = []
    for day in range(25, 40):  # the participant reads nothing more (week 3 opens and waits meanwhile)
        clock.set(stockholm(day, 20))
        alerts += [r for r in p.tick().relays if r.kind == "alert"]
    assert len(report_offers(p)) == 3, "the offer and two reminders (every 2 days)"
    assert "still waiting" in report_offers(p)[1]
    assert len(alerts) == 1 and alerts[0].source == "report:week02"
    assert "has not come in" in alerts[0].text


def test_completed_report_gives_the_therapist_one_summary_and_the_question_separately(p, clock):
    p.engine.policy = Policy(question_days=1, feedback_days=3)
    finish_current_module(p)  # includes the breathing exercise, done
    clock.set(stockholm(25, 19))
    p.tick()
    fill_report(p, question="Is it normal that breathing makes me dizzy?")
    relays = [r for e in p.effects for r in e.relays]
    reports = [r for r in relays if r.kind == "report"]
    questions = [r for r in relays if r.kind == "question" and "dizzy" in r.text]
    assert len(reports) == 1 and len(questions) == 1
    report = reports[0]
    assert report.source == "week02.weekly_report"
    assert report.data["module"] == "week02" and report.data["week"] == 2
    assert report.data["fields"]["hardest"] == "Getting up in the morning"
    assert "Getting up in the morning" in report.text and "Weekly report – Module 1" in report.text
    assert "Done: Calm breathing" in report.text, report.text
    assert "dizzy" not in report.text, "the question travels as its own item"
    assert any("on its way to your therapist" in t for t in p.texts()[-3:])
    assert p.state.reports["week02"]["done"] is True
    p.tick()
    clock.set(stockholm(27, 20))
    assert not [o for o in p.tick().outbound if o.dedup_key and o.dedup_key.startswith("report:")]


def test_a_catch_up_participant_gets_the_report_when_the_module_is_finished(p, clock):
    clock.set(stockholm(28, 10))  # three days after the report's day, module 1 still unread
    p.tick()
    assert report_offers(p) == []
    finish_current_module(p)
    assert len(report_offers(p)) == 1


def test_an_attachment_sent_with_a_question_reaches_the_therapist_record(p):
    photo = {"kind": "photo", "file_id": "AgAD123", "chat_id": "555", "message_id": 42}
    p.command("ask")
    effects = p.send(Inbound(kind="text", text="Is my posture OK here?", attachment=photo))
    assert effects.relays[0].data["attachment"] == photo
    effects = p.send(Inbound(kind="command", text="ask", args="And this one?", attachment=photo))
    assert effects.relays[0].data["attachment"] == photo


def test_report_step_is_skipped_when_reading_and_auto_answer_still_finishes(p):
    steps_seen = set()
    for _ in range(200):
        if p.state.frame is None or p.state.frame.module != "week02":
            break
        steps_seen.add(p.state.frame.step)
        auto_answer(p)
    assert "weekly_report" not in steps_seen and "closing" in steps_seen


def test_a_diary_missed_several_days_alerts_the_therapist_once(programme, clock):
    participant = Participant(programme, clock)
    participant.through_consent()
    finish_current_module(participant)  # baseline steps on day 0; the 14-day diary runs in the evenings
    alerts = []
    for day in range(6, 13):  # 6–12 January, 19:30 in Stockholm: offered, never filled in
        clock.set(stockholm(day, 19, 30))
        alerts += [r for r in participant.tick().relays if r.kind == "alert"]
    assert len(alerts) == 1, "one alert per gap, not one a day"
    assert alerts[0].source.startswith("alert:diary_missed") and "in a row" in alerts[0].text
