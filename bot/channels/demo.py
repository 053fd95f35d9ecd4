"""``icbt demo``: the console chat on the embedded default, interactive or from a script."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select

from bot.bootstrap import App, bootstrap
from bot.channels.console import (
    CHANNEL,
    CONSOLE_COMMANDS,
    DEMO_THERAPIST,
    PARTICIPANT_CHAT,
    STAFF_CHAT,
    ConsoleChat,
    ConsoleTransport,
    chat_of,
    console_topics,
    name_of,
)
from bot.channels.demo_stand_in import stand_in_settings
from bot.clock import FakeClock, SystemClock
from bot.errors import IcbtError
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import AuditEntry, OutboxMessage, Participant, ProcessedEvent
from bot.storage.runtime import DEMO_CLOCK, load_instant, save_instant
from bot.storage.tables_runtime import RuntimeValue
from bot.storage.tables_trial import TrialAllocation, TrialStratumCounter
from bot.trial.seed import demo_seed
from scheduler.ratelimit import Unlimited

log = logging.getLogger(__name__)
DEMO_TRIAL_HINT = (
    "note: after the application you play the interviewer too: /staff /interviewed P-0001 include "
    "(or exclude <reason>) brings the consent and then the draw"
)


class DemoNameError(IcbtError):
    """``--participant`` with a name that cannot be a demo participant's."""


async def run_demo(
    settings: Settings,
    lines: Iterator[str] | None,
    fresh: bool = False,
    start: datetime | None = None,
    participant: str | None = None,
) -> int:
    """Returns the exit code: 0, or 1 when the engine failed on an input (the transcript says where).

    The simulated clock is kept in the database: a restarted demo resumes at the simulated time it
    reached (never earlier, or reminders already made would be made again), unless ``fresh``, which
    forgets every demo participant and all that was made for them (``forget_demo``).
    ``participant``: who types first (``/as NAME`` changes it); by default the first demo participant.
    """
    chat_id = chat_of(participant or "")
    if chat_id is None:
        raise DemoNameError(f"demo: --participant {participant!r}: use letters, digits, - or _")
    real_now = SystemClock().now()
    clock = FakeClock(start or real_now.replace(second=0, microsecond=0))
    db = Database(settings.database_url)
    transport = ConsoleTransport(write=print, topics=console_topics(db, clock, print))

    with tempfile.TemporaryDirectory(prefix="icbt-demo-site-") as folder:  # read once, by bootstrap
        app = await _bootstrap(stand_in_settings(settings, Path(folder)), clock, transport, db)
    chat = ConsoleChat(
        app.service, app.sender, transport, clock, app.relay, on_advance=lambda at: _keep(app, at), chat_id=chat_id
    )
    try:
        if fresh:
            await forget_demo(app.db, settings.charts_dir)
        else:
            kept = await load_instant(app.db, DEMO_CLOCK)
            if kept is not None and (start is None or kept > clock.now()):
                clock.set(kept)
                print(f"(resuming the demo's simulated time: {kept:%a %d %b %Y %H:%M} UTC; --fresh starts over)")
            await restore_buttons(app.db, transport)
        await _keep(app, clock.now())
        if lines is None:
            who = "the participant" if chat_id == PARTICIPANT_CHAT else f"the participant {name_of(chat_id)}"
            print(f"icbt demo – you are {who}. Type /start to begin. Console: {CONSOLE_COMMANDS}")
            print(demo_seed()[1])
            print(DEMO_TRIAL_HINT)
            await chat.run(_interactive(), echo=False)
        else:
            await chat.run(lines, echo=True)
            if await _quarantined(app):
                print(
                    "error: the bot failed on the last input that quarantined the participant (the log above says which)."
                )
                return 1
        return 0
    except Exception:
        log.exception("the demo stopped on an error")
        print("error: the bot failed on the last input (details above); your answers so far are saved.")
        return 1
    finally:
        app.service.sweeper.close()
        await app.db.dispose()


async def restore_buttons(db: Database, transport: ConsoleTransport) -> None:
    """After a restart a typed number must press a button of the message the person still sees, as it
    did before: each console chat's last delivered message gives its buttons back (a message without
    buttons leaves none, so a number is then an answer in its own right)."""
    last = (
        select(func.max(OutboxMessage.id))  # a chat's messages are sent in order: its newest sent is the last shown
        .where(OutboxMessage.channel == CHANNEL, OutboxMessage.chat_id != STAFF_CHAT, OutboxMessage.status == "sent")
        .group_by(OutboxMessage.chat_id)
    )
    async with db.reading() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.payload).where(OutboxMessage.id.in_(last))
        )
        for chat_id, payload in rows:
            transport.buttons_of[chat_id] = [b for row in payload.get("buttons") or [] for b in row]
    shown = transport.buttons_of.get(PARTICIPANT_CHAT, [])
    if len(shown) > 1:
        print(
            "(the buttons of your last message: "
            + "  ".join(f"[{i}] {b['label']}" for i, b in enumerate(shown, 1))
            + ")"
        )


async def forget_demo(db: Database, charts_dir: Path | None = None) -> None:
    """Start the demo over, however often: remove every console participant with everything made for
    them, in one transaction. Rows that outlive a participant on their own (the staff chat's messages,
    processed events, audit rows, the allocation counters once no allocation is left) go too, or a new
    demo participant, who gets the same code, would collide with them (a message's dedup key)."""
    async with db.transaction() as session:
        people = list(await session.execute(
            select(Participant.id, Participant.code).where(Participant.channel == CHANNEL)
        ))  # fmt: skip
        ids = [pid for pid, _ in people]
        await session.execute(delete(AuditEntry).where(AuditEntry.participant_id.in_(ids)))
        await session.execute(delete(OutboxMessage).where(OutboxMessage.channel == CHANNEL))
        await session.execute(delete(ProcessedEvent).where(ProcessedEvent.channel == CHANNEL))
        await session.execute(delete(Participant).where(Participant.id.in_(ids)))
        await session.execute(delete(RuntimeValue).where(RuntimeValue.name == DEMO_CLOCK))
        if not await session.scalar(select(func.count()).select_from(TrialAllocation)):
            await session.execute(delete(TrialStratumCounter))
    for _, code in people:
        for chart in charts_dir.glob(f"{code}-*.png") if code and charts_dir and charts_dir.is_dir() else ():
            chart.unlink(missing_ok=True)


async def _quarantined(app: App) -> bool:
    """The service keeps going when an event fails (the participant is quarantined, their words relayed
    as text), so a script learns of the failure here: a transcript with a failed input exits 1."""
    async with app.db.reading() as session:
        found = await session.scalar(
            select(Participant.id).where(Participant.channel == CHANNEL, Participant.quarantined_at.is_not(None))
        )
    return found is not None


async def _keep(app: App, at: datetime) -> None:
    await save_instant(app.db, DEMO_CLOCK, at, SystemClock().now())


def _interactive() -> Iterator[str]:
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return


async def _bootstrap(settings: Settings, clock: FakeClock, transport: ConsoleTransport, db: Database) -> App:
    """The demo's app: the console channel, no rate limit, you as the therapist, the demo's own draw seed."""
    return await bootstrap(
        settings,
        clock,
        {CHANNEL: transport},
        staff_target=(CHANNEL, STAFF_CHAT),
        limiter=Unlimited(),
        demo_therapist=DEMO_THERAPIST,
        trial_seed=demo_seed()[0],  # the whole trial: application, interview (you play the therapist), draw
        db=db,
    )
