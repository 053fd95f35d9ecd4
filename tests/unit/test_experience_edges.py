"""Defects the experience walk and the first-two-weeks demo found, each pinned on the fake
clock: /skip where it used to be refused or misunderstood, a diary's last day, the menu's repeated
date, and a button that promised a report the participant could not fill in yet."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.support import auto_answer, finish_current_module, walk_to


def test_skip_at_an_exercise_puts_it_off_like_not_now(in_week2):
    p = in_week2
    walk_to(p, "breathing")
    effects = p.command("skip")
    texts = [o.text for o in effects.outbound]
    assert "That's fine. You can come back to it whenever suits you." in texts
    assert p.state.frame.step != "breathing", "the participant moved on"
    assert [(a.step, a.field, a.value) for a in effects.answers] == [("breathing", "done", False)]


def test_skip_at_add_another_entry_means_no_more_entries(in_week2):
    p = in_week2
    walk_to(p, "goals")
    while p.state.frame.stage != "more":
        auto_answer(p)
    effects = p.command("skip")
    assert not any(o.text.startswith("Sorry, I didn't catch that") for o in effects.outbound)
    assert p.state.frame.step != "goals"


def test_the_last_day_of_a_diary_does_not_say_see_you_tomorrow(p, clock, programme):
    p.through_consent()
    finish_current_module(p)  # baseline, day 0 at 08:00 local
    said: dict[int, list[str]] = {}
    for day in range(1, 14):  # the daily diary runs on days 1-13, at 19:00 local
        clock.set(clock.now().replace(hour=18, minute=0) + timedelta(days=1))  # 19:00 in Stockholm
        p.tick()
        p.press("Fill it in now")
        start = len(p.texts())
        while p.state.frame is not None:
            auto_answer(p)
        said[day] = p.texts()[start:]
    assert "That's today's entry done – thank you. See you tomorrow." in said[12]
    assert "See you tomorrow" not in " ".join(said[13])
    assert "Daily pain diary: that was the last entry. Thank you for keeping it going." in said[13]


def test_menu_while_waiting_names_the_next_opening_once(p):
    p.through_consent()
    finish_current_module(p)
    texts = [o.text for o in p.command("menu").outbound]
    assert sum("Module 1: Understanding pain opens" in t for t in texts) == 1, texts


def test_the_report_is_not_promised_by_a_button_before_it_is_due(programme):
    """The weekly report comes near the end of the week; no page sends the participant 'to' it."""
    for module in programme.scheduled:
        for step in module.steps:
            if step.kind == "page":
                label = programme.text(step.button, "en") if getattr(step, "button", None) else ""
                assert "report" not in label.lower(), (module.id, step.id)
                assert "come back here and fill in" not in programme.text(step.text, "en"), (module.id, step.id)


def test_module_1_starts_with_a_task_not_a_row_of_pages(programme):
    steps = programme.modules["week02"].steps
    first_task = next(i for i, s in enumerate(steps) if s.kind != "page")
    assert first_task <= 1 and steps[first_task].id == "breathing"


def test_the_step_count_leaves_out_the_report_asked_later(in_week2):
    p = in_week2
    walk_to(p, "closing")
    assert "(Module 1: Understanding pain · step 16 of 16)" in p.last_message.text
    menu = p.command("menu").outbound[0].text
    assert "step 16 of 16: What happens next. This is the last step of this module." in menu


def test_the_step_count_of_the_baseline_runs_without_gaps(p):
    """Questionnaires whose licensed wording is not supplied are skipped, and not counted either (the
    one step passed over is the question for the therapist, which "Yes, it's clear" jumps)."""
    p.through_consent()
    finish_current_module(p)
    places = [(int(m[1]), int(m[2])) for t in p.texts() if (m := re.search(r"· step (\d+) of (\d+)\)", t))]
    assert places == [(n, 15) for n in (*range(1, 10), *range(11, 16))], places
