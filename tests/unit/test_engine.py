"""The engine on a fake clock, with the real content and no database."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.calendar import module_opens_at
from bot.features import build_engine
from tests.support import Participant, auto_answer, finish_current_module


def test_start_shows_welcome_with_a_button(p):
    effects = p.command("start")
    assert p.state.status == "onboarding"
    assert "welcome" in effects.outbound[0].text.lower()
    assert effects.outbound[0].buttons, "the first page has a button to go on"
    assert all(len(b.data.encode()) <= 64 for o in effects.outbound for row in o.buttons for b in row)


def test_consent_is_recorded_with_its_version_and_starts_week_0(p, programme):
    p.through_consent()
    consents = [c for e in p.effects for c in e.consents]
    assert [(c.version, c.agreed) for c in consents] == [("2026-11-consent-v3", True)]
    assert p.state.status == "active"
    assert p.state.start_date == p.clock.now().date()
    assert p.state.frame.module == "baseline", "week 0 opens at once after consent"


def test_declining_consent_stops_and_start_offers_it_again(p):
    p.command("start")
    while "I do not want to take part" not in [b.label for row in p.last_message.buttons for b in row]:
        p.press()
    p.press("I do not want to take part")
    assert p.state.status == "declined"
    assert p.state.frames == []
    assert not [c for e in p.effects for c in e.consents if c.agreed]
    p.type("hello?")
    assert "/start" in p.last_message.text
    p.command("start")
    assert p.state.status == "onboarding"
    assert p.state.frame.module == "consent"


def _to_scale_step(p: Participant) -> None:
    """Walk into the baseline until a 0-10 scale question is asked."""
    p.through_consent()
    for _ in range(100):
        labels = [b.label for row in p.last_message.buttons for b in row]
        if labels[:3] == ["0", "1", "2"]:
            return
        auto_answer(p)
    raise AssertionError("no scale step reached")


def test_out_of_range_scale_answer_is_reprompted_and_not_stored(p):
    _to_scale_step(p)
    frame_before = (p.state.frame.step, p.state.frame.part)
    answers_before = len(p.all_answers())
    effects = p.type("11")
    assert effects.answers == []
    assert "0" in effects.outbound[0].text and "10" in effects.outbound[0].text
    assert effects.outbound[0].buttons, "the re-prompt repeats the number buttons"
    assert (p.state.frame.step, p.state.frame.part) == frame_before
    p.type("seven")
    assert len(p.all_answers()) == answers_before
    p.type("7")
    assert p.all_answers()[-1].value == 7


def test_text_where_a_button_is_expected_is_reprompted(p):
    p.command("start")
    p.press()
    p.press()
    p.press()  # now at the choice "how comfortable are you"
    effects = p.type("what is this?")
    assert effects.answers == []
    assert "It's fine" in effects.outbound[0].text
    assert p.state.frame.step == "comfortable"
    p.type("it's fine")  # typing a button's label counts as pressing it
    assert p.all_answers()[-1].value == "fine"


def test_a_stale_button_cannot_answer_a_later_question(p):
    p.command("start")
    p.press()  # hello -> who_we_are
    old_button = p.effects[0].outbound[0].buttons[0][0]
    p.press()  # who_we_are -> how_it_works
    step_before = p.state.frame.step
    from bot.engine import Inbound

    effects = p.send(Inbound(kind="choice", text=old_button.data))
    assert "earlier message" in effects.outbound[0].text
    assert p.state.frame.step == step_before


def test_unknown_command_and_help(p):
    p.command("start")
    assert "/help" in p.command("frobnicate").outbound[0].text
    effects = p.command("help")
    help_text = effects.outbound[0].text
    assert "therapist" in help_text and "emergency" in help_text
    assert effects.outbound[-1].buttons, "after /help the current step is shown again"


def test_menu_says_where_you_are_and_what_is_next(p):
    p.through_consent()
    text = p.command("menu").outbound[0].text
    assert "Getting started" in text  # the baseline module's title
    assert "Module 1" in text and "opens" in text
    assert p.last_message.buttons, "the menu ends by showing the current step again"


def test_pause_stops_proactive_messages_and_resume_restores_them(p, clock):
    p.through_consent()
    finish_current_module(p)
    p.command("pause")
    assert p.state.paused
    clock.advance(timedelta(days=20))
    assert p.tick().outbound == []
    assert p.engine.next_due(p.state, clock.now()) is None
    effects = p.command("resume")
    assert not p.state.paused
    assert any("Module 1" in o.text for o in effects.outbound)


def test_week_2_module_unlocks_on_its_day_and_not_before(p, clock, programme):
    p.through_consent()
    finish_current_module(p)  # baseline finished on day 0
    assert p.state.frames == []
    opens = module_opens_at(p.state.start_date, programme.modules["week02"], 9, "Europe/Stockholm")
    assert opens.astimezone().date() == (clock.now() + timedelta(days=14)).date()
    clock.set(opens - timedelta(minutes=1))
    assert not any("Module 1" in o.text for o in p.tick().outbound)
    assert p.engine.next_due(p.state, clock.now()) <= opens
    clock.set(opens)
    effects = p.tick()
    assert "Module 1" in effects.outbound[0].text
    assert p.state.frame.module == "week02"


def test_idle_free_text_goes_to_the_therapist_queue(p, clock):
    p.through_consent()
    finish_current_module(p)
    effects = p.type("My back is worse this week, is that normal?")
    assert [r.text for r in effects.relays] == ["My back is worse this week, is that normal?"]
    assert "therapist" in effects.outbound[0].text


def test_ask_command_relays_a_question_and_returns_to_the_step(p):
    p.through_consent()
    step = p.state.frame.step
    p.command("ask")
    effects = p.type("Can I do this lying down?")
    assert effects.relays[0].source == "@ask.ask"
    assert p.state.frame.step == step, "after the question the participant is back where they were"


def test_daily_diary_offered_once_a_day_at_its_time(p, clock):
    p.through_consent()
    finish_current_module(p)
    # Day 0's entry was made inside the module; the evening prompt starts on day 1.
    clock.set(clock.now().replace(hour=18, minute=30))
    assert not [o for o in p.tick().outbound if o.dedup_key]
    clock.set(clock.now().replace(hour=17, minute=59) + timedelta(days=1))  # 18:59 Stockholm, day 1
    assert not [o for o in p.tick().outbound if "diary" in o.text.lower()]
    clock.advance(timedelta(minutes=1))
    offers = [o for o in p.tick().outbound if o.dedup_key and o.dedup_key.startswith("daily:")]
    assert len(offers) == 1
    assert p.tick().outbound == [], "offered once per day"
    p.press()  # "Fill it in now"
    for _ in range(10):
        if p.state.frame is None:
            break
        auto_answer(p)
    entries = {a.entry for a in p.all_answers() if a.step == "pain_diary"}
    assert entries == {f"pain_diary:{clock.now().date().isoformat()}"}


def _to_phq9_item_9(p: Participant) -> None:
    p.through_consent()
    for _ in range(200):
        if p.state.frame.step == "phq9" and p.state.frame.part == 8:
            return
        auto_answer(p)
    raise AssertionError("PHQ-9 item 9 not reached")


def test_phq9_item_9_at_one_is_a_concern_with_resources_and_a_same_day_alert(p):
    _to_phq9_item_9(p)
    effects = p.press("Several days")
    assert any("112" in o.text and "90101" in o.text for o in effects.outbound), "the site's real numbers"
    assert [(r.kind, r.source) for r in effects.relays] == [("concern", "safety:phq9.q9")]
    alert = effects.relays[0].text
    assert "question 9 of 9" in alert and "“Several days” (1)" in alert, "the therapist reads words, not ids"
    assert [a.value for a in effects.answers] == [1], "the answer is still stored"
    assert not p.state.held, "a concern does not pause the programme"


def test_phq9_item_9_at_two_sends_crisis_resources_alerts_staff_and_pauses(p):
    _to_phq9_item_9(p)
    effects = p.press("More than half the days")
    assert any("112" in o.text and "90101" in o.text for o in effects.outbound), "the site's real numbers"
    assert [(r.kind, r.source) for r in effects.relays] == [("safety", "safety:phq9.q9")]
    assert [a.value for a in effects.answers] == [2], "the answer is still stored"
    assert p.state.held and effects.outbound[-1].buttons, "the questionnaire does not carry straight on"
    p.press("Carry on when I'm ready")
    assert not p.state.held and p.last_message.buttons


def test_phq9_item_9_at_zero_raises_no_alert(p):
    _to_phq9_item_9(p)
    effects = p.press("Not at all")
    assert effects.relays == []


def test_help_lists_withdraw_only_where_the_chat_runs_a_trial(p, programme):
    from bot.engine.model import Policy

    p.command("start")
    outside = p.command("help").outbound[0].text
    assert "/withdraw" not in outside and "/mydata" in outside and outside.rstrip().endswith("/help – this message")
    assert "{withdraw}" not in outside
    p.engine = build_engine(programme, Policy(trial=True))
    inside = p.command("help").outbound[0].text
    assert "/withdraw – leave the study\n/help – this message" in inside
    # An empty message with nothing open to answer gets the same help (bot/engine/questions.py)
    from bot.engine.questions import relay_free_text
    from bot.engine.turn import Turn

    turn = Turn(programme, p.state, p.clock.now(), policy=Policy(trial=True))
    relay_free_text(turn, "   ")
    assert turn.effects.outbound[0].text == inside
