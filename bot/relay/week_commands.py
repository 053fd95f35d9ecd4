"""Staff commands over a participant's work: ``/week``, ``/answers`` and the ``/tpl`` feedback drafts.

All three read the same ``WeekView`` the weekly report post shows, so a draft names the week, the
module and the homework the therapist just read, never a guess from today's date.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.relay import format as fmt
from bot.relay.commands import CommandContext, StaffCommand
from bot.relay.store import programme_week, shown_week
from bot.relay.week import WeekView
from bot.relay.week_post import diary_line, homework_line, practice_line, week_post
from bot.relay.week_store import load_form, load_week
from bot.storage.models import Participant, RelayItem

WEEK_USAGE = "/week P-0002 4 (the week as the participant counts it)"
ANSWERS_USAGE = "/answers P-0002 goals"
TPL_USAGE = "/tpl <template> (in a topic) or /tpl P-0007 <template>"


async def feedback_week(ctx: CommandContext, participant: Participant) -> int | None:
    """The week feedback is being written for: that of the participant's latest weekly report (or of
    the alert that it is overdue), else the programme week they are in."""
    data = await ctx.store.session.scalar(
        select(RelayItem.data)
        .where(RelayItem.participant_id == participant.id, RelayItem.source.like("%report%"),
               RelayItem.kind.in_(("report", "alert")))
        .order_by(RelayItem.id.desc())
        .limit(1)
    )  # fmt: skip
    if isinstance(data, dict) and isinstance(data.get("week"), int):
        return int(data["week"])
    return programme_week(participant, ctx.now)


async def _week(ctx: CommandContext) -> None:
    participant, rest = await ctx.target(WEEK_USAGE)
    if participant is None:
        return
    wanted = rest.strip().lower().removeprefix("week").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        week: int | None = int(wanted) - 1  # typed as the participant counts (week 1 = programme week 0)
    else:
        week = await feedback_week(ctx, participant) if not wanted else None
    if week is None:
        await ctx.say(ctx.content.text("usage", usage=WEEK_USAGE), participant)
        return
    view = await _view(ctx, participant, week)
    if view is None:
        await ctx.say(ctx.content.text("week_none", code=participant.code, week=shown_week(week)), participant)
        return
    await ctx.say(week_post(ctx.content, view), participant)


async def _view(ctx: CommandContext, participant: Participant, week: int) -> WeekView | None:
    if ctx.programme is None or participant.start_date is None:
        return None
    current = programme_week(participant, ctx.now)
    if current is None or week > current:
        return None
    return await load_week(ctx.store.session, ctx.programme, participant, week)


async def _answers(ctx: CommandContext) -> None:
    participant, form = await ctx.target(ANSWERS_USAGE)
    if participant is None:
        return
    if not form.strip() or ctx.programme is None:
        await ctx.say(ctx.content.text("usage", usage=ANSWERS_USAGE), participant)
        return
    title, filled = await load_form(ctx.store.session, ctx.programme, participant, form.strip())
    if not filled:
        await ctx.say(ctx.content.text("answers_none", code=participant.code, form=form.strip()), participant)
        return
    out = [ctx.content.text("answers_header", code=participant.code, title=title, count=len(filled))]
    for entry in filled:
        out += [
            "",
            ctx.content.text("week_form", title=entry.title, day=f"{entry.day:%a} {entry.day.day} {entry.day:%b}"),
        ]
        out += [ctx.content.text("week_answer", label=label, answer=answer) for label, answer in entry.answers]
    await ctx.say("\n".join(out), participant)


async def _tpl(ctx: CommandContext) -> None:
    participant, name = await ctx.target(TPL_USAGE)
    if participant is None:
        return
    template = ctx.content.templates.get(name.strip().lower())
    if template is None:
        names = ", ".join(sorted(ctx.content.templates))
        await ctx.say(ctx.content.text("template_unknown", name=name or "?", names=names), participant)
        return
    week = await feedback_week(ctx, participant)
    view = await _view(ctx, participant, week) if week is not None else None
    if view is None:
        await ctx.say(ctx.content.text("week_none", code=participant.code, week=shown_week(week)), participant)
        return
    text = fmt.fill_template(
        template, code=participant.code, week=view.week + 1, module=view.module_title or "–",
        goals=fmt.goals_text(ctx.content, await ctx.store.goals(participant.id)),
        homework=homework_line(ctx.content, view), practice=practice_line(ctx.content, view),
        diary=diary_line(ctx.content, view.diary), therapist=ctx.config.therapist_names.get(ctx.therapist, ""),
    )  # fmt: skip
    draft = ctx.content.text("template_draft", title=template.title, code=participant.code, text=text)
    await ctx.say(draft, participant)


def week_commands() -> list[StaffCommand]:
    return [
        StaffCommand("week", _week, WEEK_USAGE),
        StaffCommand("answers", _answers, ANSWERS_USAGE),
        StaffCommand("tpl", _tpl, "/tpl <template>"),
    ]
