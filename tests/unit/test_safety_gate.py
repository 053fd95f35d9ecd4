"""The safety protocol in the conversation: risk phrases anywhere a participant writes, whatever step
they are in, answered at once with the site's crisis resources, an URGENT record for the therapists and
a pause of the programme — and only true promises."""

from __future__ import annotations

import pytest

from bot.engine.model import Policy
from tests.support import Participant, auto_answer


@pytest.fixture
def p(programme, clock) -> Participant:
    participant = Participant(programme, clock)
    participant.through_consent()
    return participant


def to_text_field(p: Participant) -> None:
    for _ in range(200):
        out = p.last_message
        typed = not out.buttons or [b.label for row in out.buttons for b in row] == ["Skip"]
        if typed and p.state.frame is not None and not p.state.frame.daily:
            return
        auto_answer(p)
    raise AssertionError("no text field reached")


def test_risk_phrase_in_a_form_field_gives_crisis_resources_staff_alert_and_a_pause(p):
    to_text_field(p)
    step = p.state.frame.step
    effects = p.type("I want to kill myself")
    assert any("112" in o.text for o in effects.outbound), "crisis resources at once"
    safety = [r for r in effects.relays if r.kind == "safety"]
    assert len(safety) == 1 and safety[0].data["category"] == "suicide_intent"
    assert safety[0].text == "I want to kill myself", "the therapists see the participant's words"
    assert any(action == "safety_alert" for action, _ in effects.audit)
    assert effects.answers, "what they wrote is still stored"
    assert p.state.held and "pause the programme" in effects.outbound[-1].text
    assert p.engine.next_due(p.state, p.clock.now()) is None, "no reminders while the programme is paused"
    more = p.type("I just feel so alone")
    assert [r.kind for r in more.relays] == ["free"], "words typed during the pause go to the therapist"
    p.press("Carry on when I'm ready")
    assert (not p.state.held and p.state.frame is not None and p.state.frame.step != step) or p.state.frame.part > 0


@pytest.mark.parametrize(
    "text", ["Some days I feel like ending it all", "I don't want to be here anymore", "im suicidel"]
)
def test_risk_phrases_via_ask_and_free_text_are_not_routine(p, text):
    effects = p.command("ask", text)
    assert any(r.kind in ("safety", "concern") for r in effects.relays)
    assert any(r.kind == "question" for r in effects.relays), "the question still reaches the queue"
    assert any("112" in o.text for o in effects.outbound)


def test_harmless_pain_talk_raises_nothing_and_a_negation_only_a_concern(p):
    for text in ("This pain is killing me", "I could kill for a coffee", "I'm dead tired today"):
        effects = p.command("ask", text)
        assert not [r for r in effects.relays if r.kind in ("safety", "concern")], text
    effects = p.command("ask", "I would never kill myself")
    assert [r.kind for r in effects.relays if r.kind in ("safety", "concern")] == ["concern"]
    assert not p.state.held


def test_crisis_message_claims_only_what_is_true_without_a_staff_group(programme, clock):
    participant = Participant(programme, clock)
    participant.engine.policy = Policy(staff_available=False)
    participant.through_consent()
    effects = participant.command("ask", "I want to end my life")
    crisis = next(o.text for o in effects.outbound if "112" in o.text)
    assert "nobody has been alerted" in crisis and "therapist has been told" not in crisis
    with_staff = Participant(programme, clock)
    with_staff.through_consent()
    told = next(o.text for o in with_staff.command("ask", "I want to end my life").outbound if "112" in o.text)
    assert "nobody has been alerted" not in told


def test_carry_on_after_the_programme_is_never_silent(programme, clock):
    p = Participant(programme, clock)
    p.through_consent()
    p.state.status, p.state.frames = "completed", []
    effects = p.type("I took an overdose last night")
    assert "112" in effects.outbound[0].text and p.state.held
    assert effects.outbound[-1].text == programme.msg("en", "safety.hold"), "the pause, nothing else"
    after = p.press("Carry on when I'm ready")
    assert [o.text for o in after.outbound] == [programme.msg("en", "safety.carried_on")]
    assert not p.state.held


def test_an_edited_message_is_screened_and_changes_nothing_else(p):
    from bot.engine import Inbound

    step = p.state.frame.step
    quiet = p.send(Inbound(kind="edit", text="I meant 6, not 5"))
    assert quiet.outbound == [] and quiet.relays == [] and quiet.answers == []
    effects = p.send(Inbound(kind="edit", text="i wanna kms"))
    assert "112" in effects.outbound[0].text and [r.kind for r in effects.relays] == ["safety"]
    assert effects.relays[0].data["where"].endswith("edited message") and effects.answers == []
    assert p.state.held and p.state.frame.step == step
