"""Values that cross the engine's boundary: what comes in, what goes out, and the state between.

They are plain dataclasses with no channel or database types in them, so the engine can be driven by
Telegram, the console, a test or a replay alike.
"""

from __future__ import annotations

import copy
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal

from bot.engine.charts import Chart
from bot.safety.crisis import SafetySite

InboundKind = Literal["text", "choice", "command", "edit"]  # "edit": new words of an earlier message


@dataclass(frozen=True)
class Inbound:
    """One thing a participant did: typed text, pressed a button, sent a /command or edited a message."""

    kind: InboundKind
    text: str = ""  # the text, the button's data, or the command name without "/"
    args: str = ""  # command arguments
    # A photo or document sent with the message: kind ("photo"|"document"), file_id, chat_id, message_id.
    # The relay copies it into the therapist's topic by chat_id + message_id (copyMessage, never a forward).
    attachment: dict[str, Any] | None = None


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # at most 64 bytes: Telegram's callback_data limit


@dataclass(frozen=True)
class Outbound:
    """A message for the participant, in their own chat. Anything for the therapists is a
    ``RelayRecord`` (the relay posts it to the staff group), never an ``Outbound``: there is no way to
    address one elsewhere, so staff-only words cannot reach a participant by a wrong field."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: str | None = None
    dedup_key: str | None = None
    chart: Chart | None = None  # a picture asked for as values; the edge draws it to a file (``image``)

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [[{"label": b.label, "data": b.data} for b in row] for row in self.buttons],
            "image": self.image,
        }

    @staticmethod
    def from_payload(payload: dict[str, Any]) -> Outbound:
        rows = tuple(tuple(Button(b["label"], b["data"]) for b in row) for row in payload.get("buttons", []))
        return Outbound(text=payload["text"], buttons=rows, image=payload.get("image"))


@dataclass(frozen=True)
class Policy:
    """What the site promises, so the engine tells participants only what is true.

    Targets are in working days and come from settings (the relay nudges therapists against the same
    numbers)."""

    question_days: int = 1
    feedback_days: int = 2
    staff_available: bool = True
    trial: bool = False  # the site runs the trial: an application comes between welcome and consent
    diary_late_days: int = 1  # a missed diary day can be filled until the end of the day this many days after
    safety: SafetySite | None = None  # the site's crisis resources (None: the Swedish defaults)


@dataclass
class Frame:
    """Where a participant is inside one module (or a daily prompt, or a question to the therapist).

    ``part`` counts inside a step: the script message of an exercise, the field of a form, the item
    of a questionnaire. ``entry`` groups the answers of one form submission.
    """

    module: str
    step: str
    daily: str | None = None
    day: str | None = None  # the date a daily prompt is for
    part: int = 0
    stage: str = "main"  # exercise: "script" -> "log"
    entry: str | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    detour: str | None = None  # "step": one form revisited from /mywork; "module": a module reopened

    def as_json(self) -> dict[str, Any]:
        """What ``asdict`` gives, at a fraction of its cost (it deep-copies; a sweep does this 100,000 times)."""
        return {"module": self.module, "step": self.step, "daily": self.daily, "day": self.day, "part": self.part,
                "stage": self.stage, "entry": self.entry, "draft": copy.deepcopy(self.draft) if self.draft else {},
                "detour": self.detour}  # fmt: skip


@dataclass
class Preferences:
    """What the participant chose in /settings; ``None`` means the programme's own default.

    Times are local "HH:MM" strings in the participant's time zone, so a 20:00 reminder stays at 20:00
    on the clock on the wall whatever daylight saving does.
    """

    reminder_time: str | None = None  # every daily prompt moves to this time (content's ``at`` otherwise)
    quiet_from: str | None = None  # quiet hours [from, until), may wrap midnight; both set or both None
    quiet_until: str | None = None
    daily_cap: int | None = None  # at most this many daily offers a day; essential ones are always sent
    essential_only: bool = False  # opted out of non-essential (practice) reminders

    @staticmethod
    def load(data: dict[str, Any] | None) -> Preferences:
        if not data:  # most participants never opened /settings
            return Preferences()
        known = {k: v for k, v in data.items() if k in Preferences.__dataclass_fields__}
        return Preferences(**known)


# Where an applicant stands (``ParticipantState.trial_stage``), as the conversation reads it:
AWAITING_INTERVIEW = ("applied", "to_interview")  # applied; the therapist's interview is still to come
TURNED_DOWN = ("not_eligible", "excluded")  # not taken into the study


@dataclass
class ParticipantState:
    code: str
    language: str
    timezone: str
    status: str = "new"  # new | onboarding | declined | active | completed | withdrawn
    paused: bool = False
    start_date: date | None = None
    frames: list[Frame] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    daily_offered: dict[str, str] = field(default_factory=dict)  # prompt key -> ISO date
    daily_done: dict[str, str] = field(default_factory=dict)
    daily_days: dict[str, list[str]] = field(default_factory=dict)  # prompt key -> recent ISO days done
    held: bool = False  # after an urgent risk hit the next step waits until the participant carries on
    held_reason: str | None = None  # why (what was found, where): staff see it in /queue and /caseload
    country: str | None = None  # for the crisis resources of the participant's own country (None: the site's)
    safety_contact: dict[str, str] | None = None  # {"phone", "doctor"} from the application, shown in alerts
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # module id -> weekly report progress
    log: dict[str, dict[str, Any]] = field(default_factory=dict)  # module id -> running tallies of its week
    # The participant's own clock (bot/engine/reminders.py, bot/engine/preferences.py):
    prefs: Preferences = field(default_factory=Preferences)
    snoozed: dict[str, str] = field(default_factory=dict)  # prompt key -> UTC ISO instant of the re-offer
    reminded_on: str | None = None  # the local ISO date ``reminder_count`` counts for
    reminder_count: int = 0
    held_days: int = 0  # days the programme calendar moved on /resume (paused days)
    paused_on: str | None = None  # local ISO date of the /pause still in force
    awaiting: str | None = None  # the /settings item whose value the participant is typing
    confirming: str | None = None  # the token of the one destructive question still open (/withdraw)
    # The trial's application in chat (bot/trial/steps/application.py): answers so far while applying, and
    # where the person stands as the engine knows it (None: not in a trial; "applying"; "applied").
    applying: dict[str, Any] | None = None
    trial_stage: str | None = None
    arm: str | None = None  # the allocated arm (bot/engine/trial_calendar.py)
    allocated_on: date | None = (
        None  # week 0 of the arm's calendar, the first day of baseline (start_date moves on a crossover)
    )
    check_ins: list[str] = field(default_factory=list)  # ISO dates of the waiting list's check-ins sent
    crossover: str | None = None  # None | offered | accepted | declined
    consent_given: dict[str, str] | None = None  # {"version", "at" (UTC ISO)} of the last "I agree" (/consent)
    planned: list[dict[str, str]] = field(default_factory=list)  # one-off reminders (bot/engine/planned.py)

    @property
    def frame(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def position_json(self, copies: bool = True) -> dict[str, Any]:
        """The part of the state that is not a column of its own. A value ``load_position`` reads back
        as its default anyway (empty, null, false, 0) is left out: a sweep writes 100,000 of these, and
        a third of each was empty lists and nulls to encode, store, read and decode. With ``copies``
        the lists and dicts are copies, so the state can go on changing after its position was taken;
        a caller that encodes it at once (a sweep) need not pay for them."""
        out: dict[str, Any] = {}
        own = vars(self)
        for key in ("finished", "announced", "check_ins"):
            if value := own[key]:
                out[key] = list(value) if copies else value
        for key in ("daily_offered", "daily_done", "reports", "log", "snoozed"):
            if value := own[key]:
                out[key] = dict(value) if copies else value
        for key in ("reminded_on", "paused_on", "awaiting", "trial_stage", "arm", "crossover", "held",
                    "reminder_count", "held_days", "held_reason", "country", "safety_contact",
                    "confirming"):  # fmt: skip
            if value := own[key]:
                out[key] = value
        if self.frames:
            out["frames"] = [f.as_json() for f in self.frames]
        if self.daily_days:
            out["daily_days"] = {k: list(v) for k, v in self.daily_days.items()}
        if prefs := {k: v for k, v in vars(self.prefs).items() if v}:
            out["prefs"] = prefs
        if self.applying is not None:  # {}: applying, nothing answered yet; only None is the default
            out["applying"] = copy.deepcopy(self.applying)
        if self.allocated_on:
            out["allocated_on"] = self.allocated_on.isoformat()
        if self.consent_given:
            out["consent_given"] = dict(self.consent_given)
        if self.planned:
            out["planned"] = [dict(p) for p in self.planned]
        return out

    def load_position(self, data: dict[str, Any] | None) -> None:
        """``data`` becomes the state's own, nested values and all (no copies: a sweep loads 100,000
        of these). Callers holding a value someone else keeps (an ORM row's) pass a copy (``to_state``)."""
        for name, value in position_fields(data).items():
            setattr(self, name, value)

    @classmethod
    def loaded(cls, position: dict[str, Any] | None, **columns: Any) -> ParticipantState:
        """A state from its columns and its stored position at once. Filled in directly: ``__init__``
        takes 30 fields by keyword, and ``load_position`` on a new state fills every field twice (a
        sweep makes 100,000 of these)."""
        if missing := _REQUIRED_COLUMNS - columns.keys():
            raise TypeError(f"a participant's state needs {sorted(missing)}")
        state = cls.__new__(cls)
        state.__dict__.update(_COLUMN_DEFAULTS, **columns, **position_fields(position))
        return state


def position_fields(data: dict[str, Any] | None) -> dict[str, Any]:
    """The fields of ``ParticipantState`` that its stored position holds; a missing key (left out as a
    default, or from a row written before the field existed) gives the field's default."""
    get = (data or {}).get
    allocated_on = get("allocated_on")
    return {
        "frames": [Frame(**f) for f in get("frames", ())],
        "finished": get("finished") or [],
        "announced": get("announced") or [],
        "daily_offered": get("daily_offered") or {},
        "daily_done": get("daily_done") or {},
        "daily_days": get("daily_days") or {},
        "held": bool(get("held", False)),
        "held_reason": get("held_reason"),
        "country": get("country"),
        "safety_contact": get("safety_contact") or None,
        "reports": get("reports") or {},
        "log": get("log") or {},
        "prefs": Preferences.load(get("prefs")),
        "snoozed": get("snoozed") or {},
        "reminded_on": get("reminded_on"),
        "reminder_count": int(get("reminder_count", 0)),
        "held_days": int(get("held_days", 0)),
        "paused_on": get("paused_on"),
        "awaiting": get("awaiting"),
        "confirming": get("confirming"),
        "applying": get("applying"),
        "trial_stage": get("trial_stage"),
        "arm": get("arm"),
        "allocated_on": date.fromisoformat(allocated_on) if allocated_on else None,
        "check_ins": get("check_ins") or [],
        "crossover": get("crossover"),
        "consent_given": get("consent_given") or None,
        "planned": get("planned") or [],
    }


# The fields that are columns of their own (not in the position), from the dataclass itself: those
# ``loaded`` must be given (no plain default) and the defaults of the others.
_COLUMNS = [f for f in fields(ParticipantState) if f.name not in position_fields(None)]
_REQUIRED_COLUMNS = frozenset(f.name for f in _COLUMNS if f.default is MISSING)
_COLUMN_DEFAULTS = {f.name: f.default for f in _COLUMNS if f.default is not MISSING}


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as read back from storage, for /mywork."""

    module: str
    step: str
    field: str | None
    entry: str | None
    value: Any
    answered_at: datetime


@dataclass(frozen=True)
class AnswerRecord:
    module: str
    step: str
    field: str | None
    value: Any
    entry: str | None = None


@dataclass(frozen=True)
class ConsentRecord:
    version: str
    agreed: bool


@dataclass(frozen=True)
class RelayRecord:
    """A participant's words (or an event about them) for the therapist queue."""

    source: str  # "module.step", "free", "@ask.ask", "safety:<where>"
    text: str
    kind: str = "question"  # question | free | report | safety | alert
    data: dict[str, Any] = field(default_factory=dict)  # e.g. report fields, attachment ids, risk category


@dataclass(frozen=True)
class TrialRequest:
    """Something only the trial service can do (it needs storage): ``apply`` stores and assesses a
    completed application, ``allocate`` draws the arm after the consent, ``withdraw`` records a
    withdrawal, ``mydata`` sends the participant their data as a file; done right after the commit."""

    kind: Literal["apply", "allocate", "withdraw", "mydata"]
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreRecord:
    """One finished questionnaire administration, scored through the measures' rules (``bot/engine/rules.py``).

    ``answers`` are the item answers of this administration (item id -> answer), so the stored score
    can always be recomputed from them."""

    module: str
    step: str
    instrument: str
    answers: dict[str, int]
    score: Any  # the measures' ``Score``: the engine only carries it to the service


@dataclass
class Effects:
    """Everything one event caused; the service writes it in the event's one transaction."""

    outbound: list[Outbound] = field(default_factory=list)
    answers: list[AnswerRecord] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    relays: list[RelayRecord] = field(default_factory=list)
    audit: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    trial: list[TrialRequest] = field(default_factory=list)
    scores: list[ScoreRecord] = field(default_factory=list)
