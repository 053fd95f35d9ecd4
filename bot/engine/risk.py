"""The safety gate: every piece of text a participant writes is screened before anything else is said,
and every questionnaire answer of a risk item by its own threshold; a hit is answered at once, whatever
step, stage or status the participant is in.

``urgent`` (intent, a plan, the means, a recent act, self-harm now), in the same event: the crisis
message (the resources of the participant's country, and only the claim about the team that is true
now), an URGENT record for the therapists (the relay pins it and repeats it until /ack), an audit row,
and the programme paused with a "Carry on" button; nothing else follows the crisis message.
``concern`` (wishing to be dead, hopelessness, being a burden): a warm message with the resources and
that the therapist will be in touch today, a same-day record for the therapists, and the programme goes
on. The pause, and what the participant types during it, is never silent on either side.
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


def where(turn: Turn) -> str:
    """Where the participant wrote, in words staff read in the alert ("diary note", "application" …)."""
    state, frame = turn.state, turn.state.frame
    if state.status == "withdrawn":
        return "after withdrawal"
    if state.applying is not None:
        return "application"
    if state.held:
        return "during the safety pause"
    if frame is not None:
        place = f"diary {frame.daily}" if frame.daily else f"{frame.module}.{frame.step}"
        return f"{place} (while paused)" if state.paused else place
    if state.status == "completed":
        return "after the programme"
    return "message (paused)" if state.paused else "message"


def screen_text(turn: Turn, text: str, place: str | None = None) -> RiskHit | None:
    """Screen a participant's words; on a hit, answer it (see module docstring)."""
    rules = turn.programme.safety_rules(turn.lang)
    if rules is None or not text.strip():
        return None
    hit = screen(text, rules)
    if hit is not None:
        respond(turn, hit, place or where(turn), text)
    return hit


def screen_item(turn: Turn, instrument: str, item: str, value: object) -> RiskHit | None:
    """Screen one questionnaire answer against the item rules (PHQ-9 item 9, MADRS-S item 9 …)."""
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


def respond(turn: Turn, hit: RiskHit, place: str, text: str) -> None:
    """The message for the hit's level first, the record for the therapists, audit; an urgent hit
    pauses the programme (the caller shows the pause, see ``hold_prompt``)."""
    resources = turn.programme.crisis_lines.get(turn.state.country or "")  # None: the site's own
    turn.say(site(turn).crisis_message(turn.lang, turn.programme.safety, hit.level, resources=resources))
    kind = "safety" if hit.urgent else "concern"
    data = {**hit.data(), "where": place}
    turn.effects.relays.append(RelayRecord(source=f"safety:{place}", text=text, kind=kind, data=data))
    turn.audit("safety_alert", where=place, **hit.data())
    if hit.urgent:
        rules = turn.programme.safety_rules(turn.lang)
        turn.state.held = True
        turn.state.held_reason = f"{hit.describe(rules) if rules else hit.category}, {place}"


def hold_prompt(turn: Turn) -> None:
    """Instead of the next step: the pause said plainly, and one button to carry on when ready."""
    if any(o.text == hold_text(turn) for o in turn.effects.outbound):
        return
    turn.say(hold_text(turn), ((Button(turn.msg("buttons.carry_on"), f"{HOLD_TOKEN}|{CARRY_ON}"),),))


def hold_text(turn: Turn) -> str:
    """What the pause says: that a person reads on only where one does."""
    staffed = site(turn).staff is not StaffAvailability.NONE  # (an unreachable team reads it later)
    return turn.msg("safety.hold" if staffed else "safety.hold_no_staff")


def release(turn: Turn, by: str = "participant") -> bool:
    """The participant chose to carry on (or /resume, or staff released it): True if it was held."""
    held, turn.state.held = turn.state.held, False
    turn.state.held_reason = None
    if held:
        turn.audit("safety_hold_released", by=by)
    return held
