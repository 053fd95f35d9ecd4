"""Staff commands: a registry (name → handler) that other packages extend.

Each handler gets a ``CommandContext`` (the staff message, its arguments, the participant of the
topic it was sent in, and the relay's store inside the update's one transaction) and answers with
posts into the topic or the group. The trial adds ``/interviewed`` the same way::

    registry["interviewed"] = StaffCommand("interviewed", handler, "/interviewed P-0007 include|exclude <reason>")
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.content.programme import Programme
from bot.relay import timing
from bot.relay.alerts import paused_lines
from bot.relay.content import RelayContent
from bot.relay.dropout import describe
from bot.relay.dropout_store import risk_of
from bot.relay.model import RelayConfig, StaffInbound
from bot.relay.queue import TASK_WORDS, open_rows, queue_text
from bot.relay.replies import deliver
from bot.relay.store import RelayStore, programme_week, shown_week
from bot.storage.models import Participant

CODE = re.compile(r"^[A-Za-z]+-\d+$")


@dataclass
class CommandContext:
    store: RelayStore
    content: RelayContent
    msg: StaffInbound
    args: str
    now: datetime
    participant: Participant | None  # the topic's (or replied-to message's) participant
    programme: Programme | None = None  # the content, for commands that show a participant's work
    commands: Mapping[str, StaffCommand] = field(default_factory=dict)  # every staff command, for /help
    confirmed: bool = False  # run from its confirming button (``bot.relay.confirm``): do it now

    @property
    def config(self) -> RelayConfig:
        return self.store.config

    @property
    def therapist(self) -> int:
        return self.msg.user_id

    async def say(self, text: str, participant: Participant | None = None) -> None:
        """Answer where the command was given: the participant's topic, or the group."""
        where = participant or self.participant
        await self.store.post_staff(self.now, text, where, topic_name=await self._topic(where))

    async def _topic(self, participant: Participant | None) -> str | None:
        return await self.store.topic_name(participant.id) if participant is not None else None

    async def target(self, usage: str) -> tuple[Participant | None, str]:
        """The participant named first in the arguments (``P-0007 …``), else the topic's; and the rest."""
        first, _, rest = self.args.partition(" ")
        if CODE.match(first):
            found = await self.store.participant_by_code(first)
            if found is None:
                await self.say(self.content.text("unknown_participant", code=first.upper()))
            return found, rest.strip()
        if self.participant is None:
            await self.say(self.content.text("no_topic", usage=usage))
        return self.participant, self.args


Handler = Callable[[CommandContext], Awaitable[None]]


@dataclass(frozen=True)
class StaffCommand:
    name: str
    handler: Handler
    usage: str


async def _reply(ctx: CommandContext) -> None:
    usage = "/reply P-0002 your message"
    first, _, text = ctx.args.partition(" ")
    if not CODE.match(first) or not text.strip():
        await ctx.say(ctx.content.text("usage", usage=usage))
        return
    participant = await ctx.store.participant_by_code(first)
    if participant is None:
        await ctx.say(ctx.content.text("unknown_participant", code=first.upper()))
        return
    await deliver(ctx.store, ctx.now, participant, ctx.therapist, text, message_id=ctx.msg.message_id,
                  content=ctx.content)  # fmt: skip


async def _note(ctx: CommandContext) -> None:
    participant, text = await ctx.target("/note P-0002 your note")
    if participant is None:
        return
    ctx.store.log("note", ctx.now, participant, ctx.therapist, text=text)
    await ctx.say(ctx.content.text("note_saved", code=participant.code), participant)


async def _queue(ctx: CommandContext) -> None:
    """Everything open, alerts first (see ``bot.relay.queue``); ``/queue 2`` for the next page; then
    the participants paused after a risk hit, with the reason."""
    page = int(ctx.args.strip()) if ctx.args.strip().isdigit() else 1
    text, _ = await queue_text(ctx.store, ctx.content, ctx.now, page)
    await ctx.say(text)


async def _assign(ctx: CommandContext) -> None:
    usage = "/assign P-0007 <therapist name or id>"
    participant, name = await ctx.target(usage)
    if participant is None:
        return
    therapist = ctx.config.therapist_by_name(name) if name else None
    if therapist is None:
        names = ", ".join(ctx.config.name_of(t) for t in ctx.config.therapist_ids)
        await ctx.say(ctx.content.text("unknown_therapist", name=name or "?", names=names))
        return
    await ctx.store.assign(participant.id, therapist, f"therapist:{ctx.therapist}", ctx.now)
    ctx.store.audit(participant.id, f"therapist:{ctx.therapist}", "relay_assign", ctx.now, therapist=therapist)
    await ctx.say(ctx.content.text("assigned", code=participant.code, therapist=ctx.config.name_of(therapist)),
                  participant)  # fmt: skip


async def _caseload(ctx: CommandContext) -> None:
    """Each therapist's participants, highest drop-out risk first (``bot.relay.dropout``), with their
    week, what is open and the risk's reasons; a paused participant says since when, and a withdrawn
    one stays listed while anything of theirs is still open."""
    by_therapist: dict[int, list[tuple[tuple[int, float], str]]] = {t: [] for t in ctx.config.therapist_ids}
    waiting: dict[str, int] = {}
    for row in await open_rows(ctx.store.session, ctx.now):
        waiting[row.code] = waiting.get(row.code, 0) + 1
    for assignment, participant in await ctx.store.assignments(with_open=set(waiting)):
        code = participant.code or "?"
        risk = await risk_of(ctx.store, ctx.programme, participant, ctx.now)
        line = ctx.content.text(
            "caseload_participant", code=code, week=shown_week(programme_week(participant, ctx.now)),
            state=_standing(ctx, participant), waiting=waiting.get(code, 0))  # fmt: skip
        line += "\n" + ctx.content.text("caseload_risk", risk=describe(ctx.content, risk))
        by_therapist.setdefault(assignment.therapist_id, []).append((risk.rank, line))
    lines = []
    for therapist, rows in by_therapist.items():
        lines.append(ctx.content.text("caseload_line", therapist=ctx.config.name_of(therapist), count=len(rows)))
        lines.extend(line for _, line in sorted(rows, key=lambda r: r[0]))
    unassigned = [p.code or "?" for p in await ctx.store.unassigned_participants()]
    if unassigned:
        lines.append(ctx.content.text("unassigned", codes=", ".join(unassigned)))
    paused = await paused_lines(ctx.store, ctx.content)
    if paused:
        lines += [ctx.content.text("paused_header"), *paused]
    await ctx.say("\n".join(lines) or ctx.content.text("queue_empty"))


def _standing(ctx: CommandContext, participant: Participant) -> str:
    if participant.status not in ("onboarding", "active"):
        return ctx.content.text("caseload_status", status=participant.status)
    if participant.paused:
        since = (participant.position or {}).get("paused_on") or "?"
        return ctx.content.text("caseload_paused", since=since)
    return ""


async def _done(ctx: CommandContext) -> None:
    """Close a task: the week-2 call (with the call's notes), technical help, or a stall."""
    usage = "/done P-0007 call|technical|stall <notes>"
    participant, rest = await ctx.target(usage)
    if participant is None:
        return
    kind, _, notes = rest.partition(" ")
    kind = kind.lower()
    if kind not in ("call", "technical", "stall"):
        await ctx.say(ctx.content.text("usage", usage=usage), participant)
        return
    task = await ctx.store.task(participant.id, kind)
    if task is None or task.status != "open":
        missing = "no_call_task" if kind == "call" else "no_task"
        await ctx.say(ctx.content.text(missing, code=participant.code, kind=TASK_WORDS.get(kind, kind)), participant)
        return
    task.status, task.done_at, task.notes = "done", ctx.now, notes.strip()
    task.therapist_id = task.therapist_id or ctx.therapist
    ctx.store.log(kind, ctx.now, participant, ctx.therapist, text=notes.strip())
    ctx.store.audit(participant.id, f"therapist:{ctx.therapist}", f"{kind}_done", ctx.now)
    done = "call_done" if kind == "call" else "task_done"
    await ctx.say(ctx.content.text(done, code=participant.code,
                                   therapist=ctx.config.name_of(ctx.therapist)), participant)  # fmt: skip


async def _time(ctx: CommandContext) -> None:
    usage = "/time 12 (your minutes for the participant's feedback week, in their topic: replaces what was measured)"
    participant, rest = await ctx.target(usage)
    if participant is None:
        return
    minutes = rest.strip().removesuffix("min").strip()
    if not minutes.isdigit() or not 0 < int(minutes) <= 600:
        await ctx.say(ctx.content.text("usage", usage=usage), participant)
        return
    week, before = await timing.correct(ctx.store, participant, ctx.therapist, int(minutes),
                                        programme_week(participant, ctx.now), ctx.now)  # fmt: skip
    await ctx.say(ctx.content.text("time_logged", minutes=minutes, code=participant.code,
                                   week=shown_week(week), before=before), participant)  # fmt: skip


async def _ack(ctx: CommandContext) -> None:
    if ctx.participant is None:
        await ctx.say(ctx.content.text("no_topic", usage="/ack"))
        return
    items = await ctx.store.unacked_urgent(ctx.participant.id)
    if not items:
        await ctx.say(ctx.content.text("nothing_to_ack"))
        return
    for item in items:
        item.acked_at, item.status, item.repeat_at, item.answered_by = ctx.now, "closed", None, ctx.therapist
        waited = int((ctx.now - item.created_at).total_seconds() // 60)
        ctx.store.log("ack", ctx.now, ctx.participant, ctx.therapist, minutes=waited, item_id=item.id)
    ctx.store.audit(ctx.participant.id, f"therapist:{ctx.therapist}", "safety_ack", ctx.now, items=len(items))
    held = bool((ctx.participant.position or {}).get("held"))
    paused = ctx.content.text("ack_paused") if held else ""
    await ctx.say(ctx.content.text("ack", therapist=ctx.config.name_of(ctx.therapist), paused=paused))


def builtin_commands() -> list[StaffCommand]:
    return [
        StaffCommand("reply", _reply, "/reply P-0002 your message"),
        StaffCommand("note", _note, "/note your note (in a topic)"),
        StaffCommand("queue", _queue, "/queue (or /queue 2 for the next page)"),
        StaffCommand("assign", _assign, "/assign P-0007 <therapist>"),
        StaffCommand("caseload", _caseload, "/caseload"),
        StaffCommand("done", _done, "/done P-0007 call|technical|stall <notes>"),
        StaffCommand("time", _time, "/time 12"),
        StaffCommand("ack", _ack, "/ack (in the topic of an URGENT alert)"),
        StaffCommand("help", _help, "/help"),
    ]


async def _help(ctx: CommandContext) -> None:
    lines = [ctx.content.text("help_header")]
    lines += [ctx.content.text("help_line", usage=c.usage) for c in ctx.commands.values()]
    lines.append(ctx.content.text("help_footer"))
    await ctx.say("\n".join(lines))
