"""Participant-experience flow defects, each pinned by a test on the fake clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.channels.console import ConsoleTransport
from bot.engine import Inbound
from bot.engine.fields import parse_number
from tests.support import Participant, auto_answer, finish_current_module, walk_to


def labels(p: Participant) -> list[str]:
    return [b.label for row in p.last_message.buttons for b in row]


def test_reopened_module_can_be_skipped_step_by_step_and_left_at_once(in_week2):
    p = in_week2
    finish_current_module(p)
    p.command("modules")
    p.press("Module 1: Understanding pain")
    assert "Skip this ›" in labels(p) and "Back to where I was" in labels(p)
    answers_before = len(p.all_answers())
    while p.state.frame is not None and p.state.frame.step != "goals":
        p.press("Skip this ›")
    assert p.state.frame.detour == "module", "skipping walks the module without writing anything"
    assert "Skip this ›" in labels(p), "a form being read again does not force a new goal"
    p.command("skip")
    assert p.state.frame.step != "goals"
    p.press("Back to where I was")
    assert p.state.frames == [] and p.state.status == "active"
    assert len(p.all_answers()) == answers_before, "reading again stored nothing"
    assert p.state.finished.count("week02") == 1


def test_menu_during_a_reopened_module_tells_the_real_place(in_week2, clock):
    p = in_week2
    finish_current_module(p)
    clock.advance(timedelta(days=7))
    p.tick()  # week 3 opens (and week 2's report is asked for)
    p.press("Later")
    auto_answer(p)
    auto_answer(p)
    place = p.state.frame.step
    p.command("modules")
    p.press("Module 1: Understanding pain")
    p.press("Skip this ›")
    text = p.command("menu").outbound[0].text
    assert "reading Module 1: Understanding pain again" in text
    assert "You are in Module 2: Moving your body" in text, "the real place, not the module being re-read"
    assert "You are in Module 1" not in text
    p.press("Back to where I was")
    assert p.state.frame.module == "week03" and p.state.frame.step == place


def test_skip_at_a_free_text_question_sends_nothing_to_the_therapist(in_week2):
    p = in_week2
    p.command("ask")
    effects = p.command("skip")
    assert effects.relays == [], "/skip is not a question"
    assert not any("pass your question to your therapist" in o.text for o in effects.outbound)
    assert any("at any time with /ask" in o.text for o in effects.outbound)


def test_skip_at_a_question_step_inside_a_module(p, programme):
    p.through_consent()
    for _ in range(200):
        frame = p.state.frame
        if frame is not None and programme.step(frame.module, frame.step).kind == "question":
            break
        auto_answer(p)
    else:
        raise AssertionError("no question step in the baseline")
    effects = p.command("skip")
    assert effects.relays == []
    assert p.state.frame is None or p.state.frame.step != "questions"


def test_menu_says_an_open_module_is_open_not_that_it_opens_on_a_past_day(in_week2, clock):
    p = in_week2
    clock.advance(timedelta(days=7))  # week 3 has opened while week 2 is unfinished
    p.tick()
    text = p.command("menu").outbound[0].text
    assert "Module 2: Moving your body is open now" in text
    assert "opens" not in text.split("Module 2: Moving your body", 1)[1].split(".")[0]


def test_finishing_a_module_while_its_diary_runs_does_not_say_it_is_finished(p, clock):
    p.through_consent()
    finish_current_module(p)  # the baseline's steps, on day 0 of a 14-day diary
    said = " ".join(p.texts()[-4:])
    assert "You have finished Getting started" not in said
    assert "carries on each day until" in said


def test_not_now_on_a_daily_practice_is_not_called_done(in_week2, clock):
    p = in_week2
    finish_current_module(p)
    clock.advance(timedelta(days=1))
    clock.set(clock.now().replace(hour=9, minute=30))  # 10:30 in Stockholm: practice prompts are at 10:00
    offers = [o for o in p.tick().outbound if o.dedup_key and o.dedup_key.startswith("daily:")]
    assert offers
    p.press()
    for _ in range(10):
        if "Not now" in labels(p):
            break
        p.press()
    effects = p.press("Not now")
    text = " ".join(o.text for o in effects.outbound)
    assert "today's entry done" not in text
    assert "later today" in text


def test_numbers_with_units_are_understood(in_week2):
    p = in_week2
    walk_to(p, "breathing")
    while p.state.frame.stage != "log":
        p.press("I did it ✓") if "I did it ✓" in labels(p) else p.press()
    effects = p.type("10 min")
    assert effects.answers and effects.answers[-1].value == 10
    assert parse_number("80%") == 80 and parse_number("7,5") == 7.5 and parse_number("ten") is None


def test_unknown_command_shows_the_pending_question_again(in_week2):
    p = in_week2
    effects = p.command("foo")
    assert "/help" in effects.outbound[0].text
    assert effects.outbound[-1].buttons, "the current step comes back with its buttons"


@pytest.mark.parametrize("command", ["menu", "help"])
def test_a_newcomer_who_opens_with_menu_or_help_gets_something_to_tap(p, command):
    effects = p.command(command)
    assert p.state.status == "onboarding"
    assert effects.outbound[-1].buttons


def test_a_very_long_note_is_saved_whole_but_not_echoed_back_whole(in_week2):
    p = in_week2
    walk_to(p, "goals")
    note = "I want to walk the dog every morning. " * 140  # about 5,000 characters
    effects = p.type(note)
    assert effects.answers[-1].value == note.strip(), "saved whole"
    for _ in range(10):
        if p.state.frame.step != "goals" or p.state.frame.stage == "more":
            break
        auto_answer(p)
    summary = [t for t in p.texts() if t.startswith("Saved. Here is what you wrote:")][-1]
    assert len(summary) < 1500 and "…" in summary


def test_steps_say_where_the_participant_is(in_week2):
    p = in_week2
    assert "(Module 1: Understanding pain · step 1 of" in p.texts()[-1]
    text = p.command("menu").outbound[0].text
    assert "steps to go in this module" in text
    assert "emergency" in text, "one short safety line lives in the menu"


def test_mywork_shows_the_newest_entry_first(in_week2, clock):
    p = in_week2
    walk_to(p, "goals")
    p.type("first goal")
    while p.state.frame.stage != "more":
        auto_answer(p)
    p.press("Add another entry")
    clock.advance(timedelta(days=1))
    p.type("second goal")
    while p.state.frame.stage != "more":
        auto_answer(p)
    p.send(Inbound(kind="command", text="mywork"))
    p.press("My goals")
    shown = p.last_message.text
    assert shown.startswith("My goals – 2 entries")
    assert shown.index("second goal") < shown.index("first goal")


def test_console_enter_at_a_text_question_is_an_empty_answer_not_an_old_button():
    out: list[str] = []
    console = ConsoleTransport(write=out.append)
    asyncio.run(console.send("demo", {"text": "Next page", "buttons": [[{"label": "Next ›", "data": "t|next"}]]}))
    assert console.to_inbound("").kind == "choice", "Enter presses a lone button"
    asyncio.run(console.send("demo", {"text": "What is your goal?", "buttons": []}))
    inbound = console.to_inbound("")
    assert inbound.kind == "text" and inbound.text == ""


def test_console_shows_a_scale_by_its_own_numbers_and_a_typed_number_is_that_value():
    """A 0–6 scale shown as "[1] 0 … [7] 6" invites typing 4 for the value 3: the console shows the
    scale's own numbers, and a typed number presses the button with that number, never a position."""
    out: list[str] = []
    console = ConsoleTransport(write=out.append)
    scale = [[{"label": str(n), "data": f"t|{n}"} for n in range(7)]]
    asyncio.run(console.send("demo", {"text": "How often?", "buttons": scale}))
    assert out[-1].splitlines()[-1].split() == [f"[{n}]" for n in range(7)]
    assert console.to_inbound("0").text == "t|0" and console.to_inbound("6").text == "t|6"
    assert console.to_inbound("7").kind == "text", "no seventh position: the step says what it accepts"
    words = [[{"label": "Yes", "data": "t|yes"}, {"label": "No", "data": "t|no"}]]
    asyncio.run(console.send("demo", {"text": "Ready?", "buttons": words}))
    assert "[1] Yes  [2] No" in out[-1] and console.to_inbound("2").text == "t|no"


def test_menu_says_which_week_it_is_and_what_is_left_of_this_weeks_daily_work(p, clock):
    p.through_consent()
    finish_current_module(p)  # the baseline's steps on day 0; its diary runs 14 days
    text = p.command("menu").outbound[0].text
    assert "This is week 1 of 12 of your programme." in text
    diary = [line for line in text.splitlines() if line.startswith("•")]
    assert len(diary) == 1 and "6 more days this week" in diary[0], "today's entry is done: days 1–6 are left"
    clock.advance(timedelta(days=9))  # day 9: week 2, days 9–13 left
    p.tick()
    text = p.command("menu").outbound[0].text
    assert "This is week 2 of 12" in text and "5 more days this week" in text
