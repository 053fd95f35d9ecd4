"""A week-by-week outline of the programme, for an admin to review at a glance."""

from __future__ import annotations

from collections.abc import Iterator

from bot.content.programme import Programme
from bot.content.schema import (
    ChoiceStep,
    ExerciseStep,
    FieldSpec,
    FormStep,
    Module,
    NumberStep,
    QuestionnaireStep,
    ScaleStep,
    Step,
)


def outline(programme: Programme, lang: str | None = None) -> Iterator[str]:
    lang = programme.language(lang)
    t = lambda value: programme.text(value, lang)  # noqa: E731
    yield f"{t(programme.spec.title)}  (content version {programme.version})"
    yield ""
    yield "Onboarding"
    for module_id in programme.onboarding:
        yield from _module(programme, programme.modules[module_id], lang)
    for phase in programme.spec.phases:
        yield ""
        yield f"Phase {phase.id}: {t(phase.title)} — weeks {phase.weeks[0]}–{phase.weeks[1]}"
        for module_id in phase.modules:
            yield from _module(programme, programme.modules[module_id], lang)


def _module(programme: Programme, module: Module, lang: str) -> Iterator[str]:
    t = lambda value: programme.text(value, lang)  # noqa: E731
    week = f"week {module.week}: " if module.week is not None else ""
    yield f"  {week}{t(module.title)} [{module.id}]"
    for index, step in enumerate(module.steps, 1):
        yield from _step(programme, step, f"    {index:>2}. ", lang)
    for prompt in module.daily:
        yield f"    daily at {prompt.at} for {prompt.days} days: {t(prompt.title)} [{prompt.id}]"
        yield from _step(programme, prompt.step, "        ", lang)


def _step(programme: Programme, step: Step, prefix: str, lang: str) -> Iterator[str]:
    t = lambda value: programme.text(value, lang)  # noqa: E731
    title = t(step.title) or step.id
    extra = ""
    if isinstance(step, QuestionnaireStep):
        extra = f" → {step.instrument} ({len(programme.instruments[step.instrument].items)} items)"
    yield f"{prefix}{step.kind:<13} {title}{extra}"
    fields: tuple[FieldSpec, ...] = ()
    if isinstance(step, FormStep):
        fields = step.fields
    elif isinstance(step, ExerciseStep):
        fields = step.log
    indent = " " * len(prefix)
    for fld in fields:
        yield f"{indent}    · {fld.id} ({_describe(fld)})"
    for note in _depends(step):
        yield f"{indent}    ↳ {note}"


def _depends(step: Step) -> Iterator[str]:
    """One line per thing the step does with an answer, so a reviewer sees where replies happen."""
    if isinstance(step, ScaleStep | NumberStep | ChoiceStep) and step.replies:
        yield f"replies: {len(step.replies)}"
    if isinstance(step, FormStep | ExerciseStep):
        for reflect in step.reflect:
            yield f"reflects {reflect.before} → {reflect.after}"
    if isinstance(step, FormStep):
        for check in step.checks:
            yield f"checks {check.field} ≥ {check.not_below}"
        if step.remind is not None:
            yield f"reminder at {step.remind.date} {step.remind.time or step.remind.at}"


def _describe(fld: FieldSpec) -> str:
    if fld.kind in ("number", "scale"):
        text = f"{fld.kind} {fld.min:g}–{fld.max:g}" if fld.min is not None and fld.max is not None else fld.kind
    elif fld.kind == "choice":
        text = "choice: " + "/".join(o.id for o in fld.options)
    else:
        text = fld.kind
    if fld.show_if is not None:
        cond = fld.show_if
        test = (
            f"is {'/'.join(cond.is_)}"
            if cond.is_
            else (f"< {cond.below:g}" if cond.below is not None else f"≥ {cond.at_least:g}")
        )
        text += f", only if {cond.field} {test}"
    if fld.replies:
        text += f", {len(fld.replies)} replies"
    return text + (", optional" if fld.optional else "")
