"""The trial's application in chat: after the welcome, the site's questions and the screens, one by one.

Where a site runs the trial (``Policy.trial``), finishing the welcome does not open the consent: the
applicant answers the questions of ``content/trial/trial.yaml`` (``bot/trial/application.py`` decides
what to ask and how a typed answer reads) and then each active screening questionnaire item by item.
When all is answered the engine emits a ``TrialRequest("apply")``; the trial service stores and assesses
the application and tells the result in the content's words. A screening answer at an item's
``alert_at`` (and every typed answer the safety gate screens, see ``bot/engine/answering.py``) starts the safety
protocol at once, as in any questionnaire, and the application waits until the participant carries on. The consent follows only
after the therapist's include (``bot/trial/chat.py``).

The answers being given live in ``ParticipantState.applying`` (not in the answers table): the trial
service stores them as one application row, so the site's retention rule covers them.
"""

from __future__ import annotations

from typing import Any

from bot.content.schema import Instrument, InstrumentItem
from bot.content.trial_schema import ApplicationQuestion
from bot.engine import calendar, risk, safety_intake
from bot.engine.fields import whole_number
from bot.engine.model import AWAITING_INTERVIEW as WAITING
from bot.engine.model import TURNED_DOWN, Button, Inbound, TrialRequest
from bot.engine.turn import Turn
from bot.errors import InputRejected
from bot.trial.application import application_plan, questions_to_ask, read_answer

APPLY_TOKEN = "AP"  # button data: "AP|<question or instrument.item>|<value>"
YES, NO = "yes", "no"


def wanted(turn: Turn) -> bool:
    """Whether this participant still has to apply before the consent may be shown."""
    return turn.policy.trial and turn.programme.trial is not None and turn.state.trial_stage is None


def tell_where(turn: Turn, welcome_back: bool) -> bool:
    """For /start and /menu before the consent: where the application stands (True when said)."""
    state = turn.state
    if state.applying is not None:
        turn.say(turn.msg("start.welcome_back" if welcome_back else "menu.onboarding"))
        ask(turn, full=False)
        return True
    if state.trial_stage == "allocating" and not state.frames:
        # "I agree" was stored but the draw's result never reached the state (a crash in between):
        # ask again; the draw is idempotent, so it is made or read once and told once.
        turn.effects.trial.append(TrialRequest("allocate"))
        return True
    if state.frames or state.trial_stage not in WAITING + TURNED_DOWN:
        return False
    turn.say(turn.msg("trial.start_waiting" if state.trial_stage in WAITING else "trial.start_not_eligible"))
    return True


def begin(turn: Turn) -> None:
    turn.state.applying = {"given": {}, "screens": {}}
    turn.state.trial_stage = "applying"
    turn.audit("application_started")
    turn.say(turn.msg("trial.apply_intro"))
    ask(turn)


def _next(turn: Turn) -> tuple[ApplicationQuestion | None, Instrument | None, InstrumentItem | None]:
    """The question, or else the screening item, to ask now (all None: the application is complete)."""
    applying = turn.state.applying or {}
    pending = questions_to_ask(turn.programme, applying.get("given", {}))
    if pending:
        return pending[0], None, None
    screens: dict[str, dict[str, int]] = applying.get("screens", {})
    for instrument in application_plan(turn.programme).screens:
        done = screens.get(instrument.id, {})
        for item in instrument.items:
            if item.id not in done:
                return None, instrument, item
    return None, None, None


def ask(turn: Turn, full: bool = True) -> None:
    """Show the current question (or screening item); when nothing is left, hand the application on.
    After a risk answer the application waits, like any step, until the participant chooses to go on."""
    if turn.state.held:
        if not any(o.text == turn.msg("safety.hold") for o in turn.effects.outbound):
            risk.hold_prompt(turn)
        return
    question, instrument, item = _next(turn)
    if question is not None:
        turn.say(turn.t(question.text), _question_buttons(turn, question))
        return
    if instrument is not None and item is not None:
        index = instrument.items.index(item)
        if full and index == 0:
            intro = "\n\n".join(t for t in (turn.msg("trial.screen_intro"), turn.t(instrument.intro)) if t)
            turn.say(intro)
        progress = turn.msg("questionnaire.progress", n=index + 1, total=len(instrument.items))
        turn.say(f"{progress}\n{turn.t(item.text)}", _item_buttons(turn, instrument, item))
        return
    _complete(turn)


def answer(turn: Turn, inbound: Inbound, quiet: bool = False) -> None:
    """A typed answer or a pressed button while applying; a rejected answer is asked again kindly
    (``quiet``: without saying why, after the safety gate's words to a worrying text)."""
    question, instrument, item = _next(turn)
    value = inbound.text
    if inbound.kind == "choice":
        token, _, rest = inbound.text.partition("|")
        target, _, value = rest.partition("|")
        current = question.id if question else f"{instrument.id}.{item.id}" if instrument and item else None
        if token != APPLY_TOKEN or target != current:
            turn.say(turn.msg("reprompt.stale_button"))
            ask(turn, full=False)
            return
    try:
        if question is not None:
            _take_question(turn, question, value)
        elif instrument is not None and item is not None:
            _take_item(turn, instrument, item, value)
    except InputRejected as exc:
        if not quiet:
            turn.say(turn.msg(exc.reason_key, **exc.params))
        ask(turn, full=False)
        return
    ask(turn)  # full: the first item of a screen comes with the screen's introduction


def _take_question(turn: Turn, question: ApplicationQuestion, raw: str) -> None:
    text = raw.strip()
    if question.kind == "yes_no":
        folded = text.casefold()
        if folded == turn.msg("trial.yes").casefold():
            text = YES
        elif folded == turn.msg("trial.no").casefold():
            text = NO
    elif question.kind == "choice":
        by_label = {turn.t(o.label).casefold(): o.id for o in question.options}
        text = by_label.get(text.casefold(), text)
    today = calendar.local_date(turn.now, turn.state.timezone)
    value = read_answer(question, text, today)
    assert turn.state.applying is not None
    turn.state.applying["given"][question.id] = value
    safety_intake.keep(turn, question, value)  # country, safety phone, GP; warning signs answered at once


def _take_item(turn: Turn, instrument: Instrument, item: InstrumentItem, raw: str) -> None:
    text = raw.strip()
    labels = [turn.t(label).casefold() for label in _labels(instrument, item)]
    if text.casefold() in labels:
        score = item.answers[labels.index(text.casefold())]
    elif (typed := whole_number(text)) is not None and typed in item.answers:
        score = typed
    else:
        raise InputRejected("reprompt.number", min=str(item.min), max=str(item.max))
    assert turn.state.applying is not None
    turn.state.applying["screens"].setdefault(instrument.id, {})[item.id] = score
    risk.screen_item(turn, instrument.id, item.id, score)  # the safety gate: PHQ-9 item 9 > 0 and the like


def _complete(turn: Turn) -> None:
    state = turn.state
    applying = state.applying or {}
    answers: dict[str, Any] = {**applying.get("given", {}), **applying.get("screens", {})}
    state.applying, state.trial_stage = None, "applied"
    turn.effects.trial.append(TrialRequest("apply", answers))
    turn.audit("application_completed")
    turn.say(turn.msg("trial.applied"))


def _labels(instrument: Instrument, item: InstrumentItem) -> tuple[Any, ...]:
    return item.response_labels or instrument.response_labels


def _question_buttons(turn: Turn, question: ApplicationQuestion) -> tuple[tuple[Button, ...], ...]:
    if question.kind == "yes_no":
        pairs = [(turn.msg("trial.yes"), YES), (turn.msg("trial.no"), NO)]
    elif question.kind == "choice":
        pairs = [(turn.t(o.label), o.id) for o in question.options]
    else:
        return ()
    return tuple((Button(label, f"{APPLY_TOKEN}|{question.id}|{value}"),) for label, value in pairs)


def _item_buttons(turn: Turn, instrument: Instrument, item: InstrumentItem) -> tuple[tuple[Button, ...], ...]:
    labels = _labels(instrument, item)
    data = f"{APPLY_TOKEN}|{instrument.id}.{item.id}|"
    if len(labels) == len(item.answers):
        return tuple((Button(turn.t(label), f"{data}{v}"),) for v, label in zip(item.answers, labels, strict=True))
    return (tuple(Button(str(v), f"{data}{v}") for v in item.answers),)
