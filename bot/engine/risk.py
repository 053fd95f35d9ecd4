"""The safety gate: every participant text and every questionnaire answer is screened before a step
handles it; a hit answers at once, whatever step the participant is in.

On a hit, in the same event: the crisis resources (the site's real numbers, and only promises that are
true for the site), an URGENT record for the therapists (the relay pins it and repeats it until /ack),
an audit row, and the programme holds its next step until the participant chooses to carry on.
"""

from __future__ import annotations

from bot.engine.model import Button, RelayRecord
from bot.engine.turn import Turn
from bot.safety import RiskHit, SafetySite, item_risk, screen
from bot.safety.crisis import CrisisResources, StaffAvailability

HOLD_TOKEN = "H"
CARRY_ON = "go"
SWEDEN = CrisisResources(
    country="SE",
    emergency_number="112",
    line_name="Mind Självmordslinjen",
    line_number="90101",
    line_hours="open around the clock",
    line_url="https://mind.se",
)  # the settings' defaults, for an engine built without a site (tests, tools)


def screen_text(turn: Turn, text: str, where: str) -> RiskHit | None:
    """Screen a participant's words; on a hit, answer it (see module docstring)."""
    rules = turn.programme.safety_rules(turn.lang)
    if rules is None or not text.strip():
        return None
    hit = screen(text, rules)
    if hit is not None:
        respond(turn, hit, where, text)
    return hit


def screen_item(turn: Turn, instrument: str, item: str, value: object) -> RiskHit | None:
    """Screen one questionnaire answer against the item rules (PHQ-9 item 9 > 0)."""
    rules = turn.programme.safety_rules(turn.lang)
    if rules is None:
        return None
    hit = item_risk(instrument, item, value, rules)
    if hit is not None:
        respond(turn, hit, f"{instrument}.{item}", item_answer_text(turn, instrument, item, value))
    return hit


def item_answer_text(turn: Turn, instrument_id: str, item_id: str, value: object) -> str:
    """What a therapist needs at a glance: which questionnaire, which question in words, which answer."""
    instrument = turn.programme.instruments.get(instrument_id)
    if instrument is None:
        return f"{instrument_id} item {item_id}: {value}"
    text = turn.programme.text
    index = next((n for n, i in enumerate(instrument.items) if i.id == item_id), None)
    if index is None:
        return f"{text(instrument.title, turn.lang)}, item {item_id}: {value}"
    item = instrument.items[index]
    labels = item.response_labels or instrument.response_labels
    answer = f"{value}"
    number = _whole(value)
    if number is not None and 0 <= number - item.min < len(labels):
        answer = f"“{text(labels[number - item.min], turn.lang)}” ({number})"
    words = text(item.text, turn.lang)
    question = f"question {index + 1} of {len(instrument.items)}" + (f": “{words}”" if words else "")
    return f"{text(instrument.title, turn.lang)}, {question}\nAnswer: {answer}"


def _whole(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def site(turn: Turn) -> SafetySite:
    policy = turn.policy
    if policy.safety is not None:
        return policy.safety
    staff = StaffAvailability.TEAM if policy.staff_available else StaffAvailability.NONE
    return SafetySite(SWEDEN, staff)


def respond(turn: Turn, hit: RiskHit, where: str, text: str) -> None:
    """Crisis resources now, an URGENT item for the therapists, audit, and hold the next step."""
    turn.say(site(turn).crisis_message(turn.lang, turn.programme.safety))
    turn.effects.relays.append(RelayRecord(source=f"safety:{where}", text=text, kind="safety", data=hit.data()))
    turn.audit("safety_alert", where=where, **hit.data())
    turn.state.held = True


def hold_prompt(turn: Turn) -> None:
    """Instead of the next step: a pause, and one button to carry on when the participant is ready."""
    turn.say(turn.msg("safety.hold"), ((Button(turn.msg("buttons.carry_on"), f"{HOLD_TOKEN}|{CARRY_ON}"),),))


def release(turn: Turn) -> bool:
    """The participant chose to carry on (or /resume): the programme goes on. True if it was held."""
    held, turn.state.held = turn.state.held, False
    if held:
        turn.audit("safety_hold_released")
    return held
