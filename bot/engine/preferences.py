"""``/settings``: the participant sets their own clock in chat.

Time zone, reminder time, quiet hours, a daily cap and practice reminders on or off. Each item is a
button; most also take a typed value (a city or IANA zone name, ``20:30``, ``22:00-07:00``), which the
next text message gives while ``state.awaiting`` names the item. Any command or other button ends the
wait, so a typed diary answer is never mistaken for a setting. What the values do is the reminder
policy's business (bot/engine/reminders.py); this module only asks, checks and stores.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

from bot.engine import calendar, reminders
from bot.engine.model import Button, Inbound, ParticipantState
from bot.engine.progress import resume
from bot.engine.turn import Turn

SETTINGS_TOKEN = "S"
TIMEZONE, TIME, QUIET, CAP, PRACTICE, DONE = "tz", "time", "quiet", "cap", "practice", "done"
DEFAULT, OFF = "-", "off"

# The zones offered when the programme names none (``timezones:`` in programme.yaml); any can be typed.
ZONES = (
    "Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/London",
    "Europe/Berlin", "Europe/Madrid", "America/New_York", "America/Chicago", "America/Los_Angeles",
)  # fmt: skip
# Places people type that are not the city of their IANA zone (those are found by name already).
CITIES = {
    "gothenburg": "Europe/Stockholm", "göteborg": "Europe/Stockholm", "goteborg": "Europe/Stockholm",
    "malmö": "Europe/Stockholm", "malmo": "Europe/Stockholm", "uppsala": "Europe/Stockholm",
    "linköping": "Europe/Stockholm", "linkoping": "Europe/Stockholm", "örebro": "Europe/Stockholm",
    "umeå": "Europe/Stockholm", "umea": "Europe/Stockholm", "lund": "Europe/Stockholm",
    "sweden": "Europe/Stockholm", "bergen": "Europe/Oslo", "aarhus": "Europe/Copenhagen",
    "boston": "America/New_York", "washington": "America/New_York", "philadelphia": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York", "houston": "America/Chicago",
    "dallas": "America/Chicago", "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
}  # fmt: skip
TIMES = ("08:00", "10:00", "12:00", "18:00", "19:00", "20:00", "21:00")
QUIET_CHOICES = ("22:00-07:00", "21:00-08:00", "23:00-09:00")
CAPS = ("1", "2", "3")
CLOCK = re.compile(r"^\s*([01]?\d|2[0-3])(?:[:.]([0-5]\d))?\s*$")


# -- reading typed values (pure) ---------------------------------------------------------------------
@lru_cache(maxsize=1)
def zone_names() -> dict[str, str]:
    """Lower-cased IANA names and their last part ("new york") -> the IANA name."""
    names: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        names[zone.casefold()] = zone
        if "/" in zone and zone.split("/")[0] in ("Europe", "America", "Asia", "Africa", "Australia", "Pacific"):
            names.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").casefold(), zone)
    return names


def parse_zone(text: str) -> str | None:
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    if not wanted:
        return None
    return CITIES.get(wanted) or zone_names().get(wanted) or zone_names().get(text.strip().casefold())


def parse_clock(text: str) -> str | None:
    """``20``, ``20:30`` or ``20.30`` -> ``"20:30"``; anything else None."""
    match = CLOCK.match(text)
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"


def parse_quiet(text: str) -> tuple[str, str] | None:
    """``22:00-07:00``, ``22-7`` or ``22:00 to 07:00`` -> the two times; equal times are no hours."""
    parts = re.split(r"\s*(?:-|–|to)\s*", text.strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if start is None or end is None or start == end:
        return None
    return start, end


# -- the conversation --------------------------------------------------------------------------------
def route(turn: Turn, inbound: Inbound) -> bool:
    """Take a /settings button or an awaited typed value; True when this inbound was for /settings."""
    state = turn.state
    if inbound.kind == "choice" and inbound.text.startswith(SETTINGS_TOKEN + "|"):
        on_button(turn, inbound.text.partition("|")[2])
        return True
    if inbound.kind == "text" and state.awaiting is not None:
        apply(turn, state.awaiting, inbound.text, typed=True)
        return True
    state.awaiting = None
    return False


def forget_waiting(state: ParticipantState) -> None:
    """A command ends any typed /settings question."""
    state.awaiting = None


def open_settings(turn: Turn, inbound: Inbound) -> None:
    turn.state.awaiting = None
    show_menu(turn)


def show_menu(turn: Turn) -> None:
    state, prefs = turn.state, turn.state.prefs
    quiet = f"{prefs.quiet_from}–{prefs.quiet_until}" if prefs.quiet_from else turn.msg("settings.off")
    text = turn.msg(
        "settings.menu",
        timezone=state.timezone,
        time=prefs.reminder_time or turn.msg("settings.default_time"),
        quiet=quiet,
        cap=str(prefs.daily_cap) if prefs.daily_cap is not None else turn.msg("settings.no_limit"),
        practice=turn.msg("settings.off" if prefs.essential_only else "settings.on"),
    )
    practice = "settings.button_practice_on" if prefs.essential_only else "settings.button_practice_off"
    rows = (
        (
            item_button(turn.msg("settings.button_timezone"), TIMEZONE),
            item_button(turn.msg("settings.button_time"), TIME),
        ),
        (item_button(turn.msg("settings.button_quiet"), QUIET), item_button(turn.msg("settings.button_cap"), CAP)),
        (item_button(turn.msg(practice), PRACTICE),),
        (item_button(turn.msg("settings.button_done"), DONE),),
    )
    turn.say(text, rows)


def item_button(label: str, item: str, value: str | None = None) -> Button:
    return Button(label, f"{SETTINGS_TOKEN}|{item}" if value is None else f"{SETTINGS_TOKEN}|{item}|{value}")


def on_button(turn: Turn, value: str) -> None:
    item, _, choice = value.partition("|")
    state = turn.state
    state.awaiting = None
    if item == DONE:
        turn.say(turn.msg("settings.closed"))
        resume(turn, full=False)
    elif item == PRACTICE:
        state.prefs.essential_only = not state.prefs.essential_only
        turn.audit("settings_changed", item=PRACTICE, essential_only=state.prefs.essential_only)
        turn.say(turn.msg("settings.changed"))
        show_menu(turn)
    elif item in (TIMEZONE, TIME, QUIET, CAP) and choice:
        apply(turn, item, choice, typed=False)
    elif item in (TIMEZONE, TIME, QUIET, CAP):
        ask(turn, item)
    else:
        turn.say(turn.msg("reprompt.stale_button"))
        show_menu(turn)


def ask(turn: Turn, item: str) -> None:
    """Offer the choices for one item; all but the cap can also be typed."""
    if item == TIMEZONE:
        zones = turn.programme.spec.timezones or ZONES
        rows = [tuple(item_button(z.rsplit("/", 1)[1].replace("_", " "), TIMEZONE, z) for z in zones[i : i + 2])
                for i in range(0, len(zones), 2)]  # fmt: skip
    elif item == TIME:
        rows = [tuple(item_button(t, TIME, t) for t in TIMES[i : i + 4]) for i in range(0, len(TIMES), 4)]
        rows.append((item_button(turn.msg("settings.button_default_time"), TIME, DEFAULT),))
    elif item == QUIET:
        rows = [(item_button(q.replace("-", "–"), QUIET, q),) for q in QUIET_CHOICES]
        rows.append((item_button(turn.msg("settings.button_quiet_off"), QUIET, OFF),))
    else:
        rows = [tuple(item_button(c, CAP, c) for c in CAPS)]
        rows.append((item_button(turn.msg("settings.button_no_limit"), CAP, OFF),))
    turn.state.awaiting = item if item != CAP else None
    turn.say(turn.msg(f"settings.ask_{item}"), tuple(rows))


def apply(turn: Turn, item: str, raw: str, typed: bool) -> None:
    """Store one value; a value that cannot be read is answered and asked again, nothing changes."""
    state, prefs = turn.state, turn.state.prefs
    off = raw.strip().casefold() == OFF
    if item == TIMEZONE:
        zone = parse_zone(raw)
        if zone is None:
            refuse(turn, "settings.bad_timezone")
            return
        state.timezone = zone
    elif item == TIME:
        clock = parse_clock(raw)
        if clock is None and (typed or raw != DEFAULT):
            refuse(turn, "settings.bad_time")
            return
        prefs.reminder_time = clock  # None: back to the programme's own times
    elif item == QUIET:
        hours = parse_quiet(raw)
        if hours is None and not off:
            refuse(turn, "settings.bad_quiet")
            return
        prefs.quiet_from, prefs.quiet_until = hours or (None, None)
    else:
        if raw not in (*CAPS, OFF):
            refuse(turn, "settings.bad_cap")
            return
        prefs.daily_cap = None if raw == OFF else int(raw)
    state.awaiting = None
    turn.audit("settings_changed", item=item)
    turn.say(turn.msg("settings.changed"))
    lost = swallowed_times(turn)
    if lost:
        turn.say(turn.msg("settings.time_in_quiet", times=", ".join(lost)))
    show_menu(turn)


def swallowed_times(turn: Turn) -> list[str]:
    """Reminder times the quiet hours drop every day (they run past midnight over them): worth a word."""
    prefs = turn.state.prefs
    wanted = {prefs.reminder_time} if prefs.reminder_time else {
        p.at for m in turn.programme.scheduled for p in m.daily
    }  # fmt: skip
    return sorted(t for t in wanted if t and reminders.out_of_quiet(prefs, calendar.parse_hhmm(t)) is None)


def refuse(turn: Turn, reason_key: str) -> None:
    """Say what was wrong; the item stays open for another typed try (or a button)."""
    turn.say(turn.msg(reason_key))
