"""How each kind of step is shown and how an answer to it is taken.

``present`` shows the step from where the frame stands; ``accept`` takes one answer and returns
``DONE`` (the step is over), ``STAY`` (the step goes on; its next part has been shown) or the id of a
step to jump to. A bad answer raises ``InputRejected`` and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Final

from bot.content.schema import (
    ChoiceStep,
    ConsentStep,
    ExerciseStep,
    FieldSpec,
    FormStep,
    Module,
    NumberStep,
    PageStep,
    QuestionnaireStep,
    QuestionStep,
    ScaleStep,
    Step,
    TextStep,
)
from bot.engine import risk
from bot.engine.fields import field_prompt, item_field, parse_field, show_value, step_field
from bot.engine.model import ConsentRecord, Frame, Outbound, RelayRecord, ScoreRecord
from bot.engine.planned import plan_one_off
from bot.engine.responses import (
    CHECK_CHANGE,
    CHECKED,
    REDO,
    check_choice,
    check_prompt,
    next_shown,
    open_check,
    reflect,
    reply_to,
    shown_fields,
)
from bot.engine.turn import ASK, TECH_HELP, Turn, untally
from bot.errors import InputRejected

DONE: Final = "\0done"
STAY: Final = "\0stay"
NEXT, DID, LATER, NOQ, AGREE, DECLINE, MORE = (
    "next",
    "did",
    "later",
    "noq",
    "agree",
    "decline",
    "more",
)

SingleStep = TextStep | ScaleStep | NumberStep | ChoiceStep


REVIEW_SKIP, REVIEW_LEAVE = "@skip", "@leave"  # buttons of a module that is being read again
LEAVE: Final = "\0leave"
CHECK: Final = "check"  # a form's stage while it asks whether an implausible pair of answers is right


def present(turn: Turn, frame: Frame, step: Step, full: bool = True) -> None:
    """Show the step; with ``full`` also its lead-in (form intro, exercise explanation) and where the
    participant is in the module, so they never have to ask /menu to know."""
    if turn.state.held:  # after a risk hit the step waits until the participant chooses to carry on
        if not any(o.text == turn.msg("safety.hold") for o in turn.effects.outbound):
            risk.hold_prompt(turn)
        return
    out = prompt(turn, frame, step, full)
    if full and frame.detour is None and not frame.daily and frame.part == 0 and frame.stage == "main":
        where = _where(turn, frame)
        if where:
            out = replace(out, text=f"{out.text}\n\n{where}")
    turn.send(out)


def has_wording(turn: Turn, step: QuestionnaireStep) -> bool:
    """A licensed questionnaire whose wording this site has not supplied is skipped, never shown empty."""
    return all(turn.t(item.text) for item in turn.programme.instruments[step.instrument].items)


def place_in_module(turn: Turn, module: Module, step_id: str) -> tuple[int, int]:
    """(n, total) for "step n of total", counting only the steps the participant meets in order: the
    weekly report is asked near the end of the week and a questionnaire without wording is skipped, so
    counting them would make the count jump."""
    read = [
        s.id
        for s in module.steps
        if (module.report is None or s.id != module.report.step)
        and (not isinstance(s, QuestionnaireStep) or has_wording(turn, s))
    ]
    return (read.index(step_id) + 1 if step_id in read else len(read)), len(read)


def _where(turn: Turn, frame: Frame) -> str:
    module = turn.programme.modules.get(frame.module)
    if module is None or module.week is None:
        return ""
    number, total = place_in_module(turn, module, frame.step)
    return turn.msg("progress.footer", title=turn.t(module.title), n=number, total=total)


def prompt(turn: Turn, frame: Frame, step: Step, full: bool = True) -> Outbound:
    """The message that asks for the next answer, with its buttons (and, when a finished module is only
    being read again, a way to skip the step or leave)."""
    out = _prompt(turn, frame, step, full)
    if frame.detour != "module":
        return out
    row = (
        turn.button(frame, turn.msg("buttons.review_skip"), REVIEW_SKIP),
        turn.button(frame, turn.msg("buttons.back"), REVIEW_LEAVE),
    )
    return replace(out, buttons=(*out.buttons, row))


def _prompt(turn: Turn, frame: Frame, step: Step, full: bool) -> Outbound:
    if isinstance(step, PageStep):
        label = turn.t(step.button) or turn.msg("buttons.next")
        image = str(turn.programme.root / "media" / step.image) if step.image else None
        return Outbound(turn.step_text(step), ((turn.button(frame, label, NEXT),),), image=image)
    if isinstance(step, SingleStep):
        return field_prompt(turn, frame, step_field(step))
    if isinstance(step, FormStep):
        return _form_prompt(turn, frame, step, full)
    if isinstance(step, ExerciseStep):
        return _exercise_prompt(turn, frame, step, full)
    if isinstance(step, QuestionStep):
        label = "techhelp.cancel" if _technical(frame) else "buttons.no_question"
        return Outbound(turn.step_text(step), ((turn.button(frame, turn.msg(label), NOQ),),))
    if isinstance(step, ConsentStep):
        rows = (
            (turn.button(frame, turn.t(step.agree), AGREE),),
            (turn.button(frame, turn.t(step.decline), DECLINE),),
        )
        return Outbound(turn.step_text(step), rows)
    return _questionnaire_prompt(turn, frame, step, full)


def accept(turn: Turn, frame: Frame, step: Step, value: str, via_button: bool) -> str:
    if frame.detour == "module" and via_button and value in (REVIEW_SKIP, REVIEW_LEAVE):
        return DONE if value == REVIEW_SKIP else LEAVE
    if isinstance(step, PageStep):
        if value == NEXT or value.strip().casefold() in (
            "next",
            "ok",
            "n",
            turn.msg("buttons.next").casefold(),
        ):
            return DONE
        raise InputRejected("reprompt.page", label=turn.t(step.button) or turn.msg("buttons.next"))
    if isinstance(step, SingleStep):
        answer = parse_field(turn, step_field(step), value, via_button)
        turn.store(frame, None, answer)
        if not isinstance(step, TextStep):
            reply_to(turn, step.replies, answer)
        if isinstance(step, ChoiceStep):
            goto = next((o.goto for o in step.options if o.id == answer), None)
            return goto or DONE
        return DONE
    if isinstance(step, FormStep):
        return _form_accept(turn, frame, step, value, via_button)
    if isinstance(step, ExerciseStep):
        return _exercise_accept(turn, frame, step, value, via_button)
    if isinstance(step, QuestionStep):
        return _question_accept(turn, frame, step, value, via_button)
    if isinstance(step, ConsentStep):
        return _consent_accept(turn, frame, step, value, via_button)
    return _questionnaire_accept(turn, frame, step, value, via_button)


def skip(turn: Turn, frame: Frame, step: Step) -> str:
    """``/skip``: no question for the therapist; an optional field left empty; no further form entry; an
    exercise put off like "Not now"; any step of a module that is only being read again; otherwise the participant is told
    this one cannot be skipped."""
    if isinstance(step, QuestionStep):
        turn.say(turn.msg("question.skipped"))
        return DONE
    if frame.detour == "module" or isinstance(step, PageStep):
        return DONE
    if isinstance(step, FormStep) and frame.stage == MORE:
        return DONE  # "add another entry?" skipped: no more entries for now
    if isinstance(step, ExerciseStep) and frame.stage != "log":
        frame.part = len(step.script) - 1
        return accept(turn, frame, step, LATER, via_button=True)
    return accept(turn, frame, step, "/skip", via_button=False)


def new_entry() -> str:
    return uuid.uuid4().hex[:12]


# -- forms ------------------------------------------------------------------------------------
def _form_prompt(turn: Turn, frame: Frame, step: FormStep, full: bool) -> Outbound:
    if frame.stage == MORE:
        rows = ((turn.button(frame, turn.msg("buttons.add_another"), MORE),),
                (turn.button(frame, turn.msg("buttons.continue"), NEXT),))  # fmt: skip
        return Outbound(turn.msg("form.add_another"), rows)
    if frame.entry is None:
        frame.entry = new_entry()
    if frame.stage == CHECK:
        return check_prompt(turn, frame, step.checks[frame.part])
    if full and frame.part == 0 and step.text:
        turn.say(turn.step_text(step))
    return field_prompt(turn, frame, step.fields[frame.part])


def _form_accept(turn: Turn, frame: Frame, step: FormStep, value: str, via_button: bool) -> str:
    if frame.stage == MORE:
        if value == MORE:
            frame.stage, frame.part, frame.entry, frame.draft = "main", 0, new_entry(), {}
            present(turn, frame, step, full=False)
            return STAY
        if value == NEXT:
            return DONE
        raise InputRejected(
            "reprompt.choose_button",
            options=f"“{turn.msg('buttons.add_another')}”, “{turn.msg('buttons.continue')}”",
        )
    if frame.stage == CHECK:
        return _check_accept(turn, frame, step, value, via_button)
    fld = step.fields[frame.part]
    answer = parse_field(turn, fld, value, via_button)
    turn.store(frame, fld.id, answer)
    frame.draft[fld.id] = answer
    reply_to(turn, fld.replies, answer)
    redone = frame.draft.pop(REDO, False)  # a changed answer after a check: straight back to the end
    frame.part = len(step.fields) if redone else next_shown(step.fields, frame.part + 1, frame.draft)
    if frame.part < len(step.fields):
        present(turn, frame, step, full=False)
        return STAY
    return _form_complete(turn, frame, step)


def _form_complete(turn: Turn, frame: Frame, step: FormStep) -> str:
    """An entry's last field is in: ask about an implausible pair first, else sum up, reflect, remind."""
    check = open_check(step.checks, frame.draft)
    if check is not None:
        frame.stage, frame.part = CHECK, check
        present(turn, frame, step, full=False)
        return STAY
    turn.say(_summary(turn, shown_fields(step.fields, frame.draft), frame.draft))
    reflect(turn, step.reflect, frame.draft)
    if step.remind is not None:
        plan_one_off(turn, step.remind, frame.draft, f"{frame.module}.{frame.step}.{frame.entry}")
    frame.stage = "main"
    if step.repeatable and not frame.daily:
        frame.stage = MORE
        present(turn, frame, step)
        return STAY
    return DONE


def _check_accept(turn: Turn, frame: Frame, step: FormStep, value: str, via_button: bool) -> str:
    """The answer to a check: "that's right" goes on; "Let me change it" asks the check's field again, then comes back."""
    choice = check_choice(turn, value, via_button)
    if choice is None:
        options = f"“{turn.msg('hooks.check_right')}”, “{turn.msg('hooks.check_change')}”"
        raise InputRejected("reprompt.choose_button", options=options)
    check = step.checks[frame.part]
    if choice == CHECK_CHANGE:
        frame.stage = "main"
        frame.part = next(i for i, f in enumerate(step.fields) if f.id == check.field)
        frame.draft[REDO] = True
        if frame.detour != "module":
            untally(turn.state, frame.module, frame.daily or frame.step, check.field, frame.draft.get(check.field))
        present(turn, frame, step, full=False)
        return STAY
    frame.draft[CHECKED] = [*(frame.draft.get(CHECKED) or []), frame.part]
    frame.stage = "main"
    return _form_complete(turn, frame, step)


SUMMARY_CHARS = 160  # a long note is saved whole but read back short


def _summary(turn: Turn, fields: tuple[FieldSpec, ...], draft: dict[str, object]) -> str:
    lines = []
    for f in fields:
        shown = show_value(turn, f, draft.get(f.id))
        if len(shown) > SUMMARY_CHARS:
            shown = shown[: SUMMARY_CHARS - 1].rstrip() + "…"
        lines.append(f"• {turn.t(f.label).splitlines()[0]} {shown}")
    return turn.msg("form.summary") + "\n" + "\n".join(lines)


# -- exercises --------------------------------------------------------------------------------
def _exercise_prompt(turn: Turn, frame: Frame, step: ExerciseStep, full: bool) -> Outbound:
    if frame.stage == "log":
        if frame.entry is None:
            frame.entry = new_entry()
        prefix = turn.msg("exercise.log_intro") + "\n\n" if full and frame.part == 0 else ""
        return field_prompt(turn, frame, step.log[frame.part], prefix=prefix)
    if full and frame.part == 0 and step.text:
        turn.say(turn.step_text(step))
    text = turn.t(step.script[frame.part])
    if frame.part < len(step.script) - 1:
        return Outbound(text, ((turn.button(frame, turn.msg("buttons.next"), NEXT),),))
    rows = (
        (turn.button(frame, turn.msg("buttons.did_it"), DID),),
        (turn.button(frame, turn.msg("buttons.not_now"), LATER),),
    )
    return Outbound(text, rows)


def _exercise_accept(turn: Turn, frame: Frame, step: ExerciseStep, value: str, via_button: bool) -> str:
    if frame.stage == "log":
        fld = step.log[frame.part]
        answer = parse_field(turn, fld, value, via_button)
        turn.store(frame, fld.id, answer)
        frame.draft[fld.id] = answer
        reply_to(turn, fld.replies, answer)
        frame.part = next_shown(step.log, frame.part + 1, frame.draft)
        if frame.part < len(step.log):
            present(turn, frame, step, full=False)
            return STAY
        turn.say(turn.msg("exercise.logged"))
        reflect(turn, step.reflect, frame.draft)
        return DONE
    last = frame.part == len(step.script) - 1
    if not last:
        if value == NEXT or value.strip().casefold() in ("next", "ok"):
            frame.part += 1
            present(turn, frame, step, full=False)
            return STAY
        raise InputRejected("reprompt.page", label=turn.msg("buttons.next"))
    choice = value if via_button else _typed_choice(turn, value, {DID: "buttons.did_it", LATER: "buttons.not_now"})
    if choice == LATER:
        frame.entry = frame.entry or new_entry()
        turn.store(frame, "done", False)
        frame.draft["done"] = False  # a daily practice put off is not "today's entry done"
        if not frame.daily:
            turn.say(turn.msg("exercise.not_now"))
        return DONE
    if choice != DID:
        raise InputRejected(
            "reprompt.choose_button",
            options=f"“{turn.msg('buttons.did_it')}”, “{turn.msg('buttons.not_now')}”",
        )
    frame.entry = frame.entry or new_entry()
    turn.store(frame, "done", True)
    if not step.log:
        turn.say(turn.msg("exercise.logged"))
        return DONE
    frame.stage, frame.part = "log", 0
    present(turn, frame, step)
    return STAY


def _typed_choice(turn: Turn, value: str, choices: dict[str, str]) -> str | None:
    folded = value.strip().casefold()
    for key, message_key in choices.items():
        if folded in (key, turn.msg(message_key).casefold()):
            return key
    return None


# -- ask the therapist, consent -----------------------------------------------------------------
def _technical(frame: Frame) -> bool:
    """The /ask frame opened by /techhelp: what is not working, for staff."""
    return frame.module == ASK and frame.step == TECH_HELP


def _question_accept(turn: Turn, frame: Frame, step: QuestionStep, value: str, via_button: bool) -> str:
    if via_button:
        if value != NOQ:
            raise InputRejected("reprompt.text_empty")
        turn.say(turn.msg("techhelp.skipped" if _technical(frame) else "question.skipped"))
        return DONE
    text = value.strip()
    if not text and not turn.attachment:
        raise InputRejected("reprompt.text_empty")
    turn.store(frame, None, text)
    data = {"attachment": turn.attachment} if turn.attachment else {}
    technical = _technical(frame)  # "something isn't working": a task for staff, not a question
    turn.effects.relays.append(RelayRecord(source=f"{frame.module}.{frame.step}", text=text, data=data,
                                           kind="technical" if technical else "question"))  # fmt: skip
    if technical:
        turn.say(turn.msg("techhelp.sent"))
    else:
        turn.say(turn.msg("question.sent", within=turn.working_days(turn.policy.question_days)))
    return DONE


def _consent_accept(turn: Turn, frame: Frame, step: ConsentStep, value: str, via_button: bool) -> str:
    choice = value if via_button else None
    if not via_button:
        folded = value.strip().casefold()
        if folded == turn.t(step.agree).casefold():
            choice = AGREE
        elif folded == turn.t(step.decline).casefold():
            choice = DECLINE
    if choice not in (AGREE, DECLINE):
        raise InputRejected("reprompt.choose_button", options=f"“{turn.t(step.agree)}”, “{turn.t(step.decline)}”")
    agreed = choice == AGREE
    turn.effects.consents.append(ConsentRecord(version=step.version, agreed=agreed))
    turn.store(frame, None, "agree" if agreed else "decline")
    turn.audit("consent", version=step.version, agreed=agreed)
    if agreed:
        turn.state.consent_given = {"version": step.version, "at": turn.now.isoformat()}  # for /consent
        turn.say(turn.msg("consent.recorded"))
    return DONE if agreed else DECLINE


# -- questionnaires -----------------------------------------------------------------------------
def _questionnaire_prompt(turn: Turn, frame: Frame, step: QuestionnaireStep, full: bool) -> Outbound:
    instrument = turn.programme.instruments[step.instrument]
    if frame.entry is None:
        frame.entry = new_entry()
    if full and frame.part == 0:
        intro = "\n\n".join(t for t in (turn.step_text(step), turn.t(instrument.intro)) if t)
        if intro:
            turn.say(intro)
    item = instrument.items[frame.part]
    if len(instrument.items) == 1:  # "Question 1 of 1" says nothing
        return field_prompt(turn, frame, item_field(instrument, item))
    progress = turn.msg("questionnaire.progress", n=frame.part + 1, total=len(instrument.items))
    return field_prompt(turn, frame, item_field(instrument, item), prefix=progress + "\n")


def _questionnaire_accept(turn: Turn, frame: Frame, step: QuestionnaireStep, value: str, via_button: bool) -> str:
    instrument = turn.programme.instruments[step.instrument]
    item = instrument.items[frame.part]
    answer = parse_field(turn, item_field(instrument, item), value, via_button)
    turn.store(frame, item.id, int(answer))
    frame.draft[item.id] = int(answer)
    risk.screen_item(turn, instrument.id, item.id, answer)  # item rules from content/safety (PHQ-9 item 9)
    frame.part += 1
    if frame.part < len(instrument.items):
        present(turn, frame, step, full=False)
        return STAY
    answers = {k: v for k, v in frame.draft.items() if k in {i.id for i in instrument.items}}
    turn.effects.scores.append(
        ScoreRecord(frame.module, step.id, instrument.id, answers, turn.rules.measures.score(instrument, answers))
    )
    return DONE
