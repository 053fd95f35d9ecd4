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
        respond(turn, hit, f"{instrument}.{item}", f"{instrument} item {item}: {value}")
    return hit


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
