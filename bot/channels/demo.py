"""``icbt demo``: the console chat on the embedded default, interactive or from a script."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import delete, select

from bot.bootstrap import App, bootstrap
from bot.channels.console import (
    CHANNEL,
    CONSOLE_COMMANDS,
    DEMO_THERAPIST,
    STAFF_CHAT,
    ConsoleChat,
    ConsoleTransport,
)
from bot.clock import FakeClock, SystemClock
from bot.settings import Settings
from bot.storage.models import Participant
from bot.storage.runtime import DEMO_CLOCK, load_instant, save_instant
from bot.trial.seed import demo_seed
from scheduler.ratelimit import Unlimited

log = logging.getLogger(__name__)
DEMO_TRIAL_HINT = (
    "note: after the application you play the interviewer too: /staff /interviewed P-0001 include "
    "(or exclude <reason>) brings the consent and then the draw"
)


async def run_demo(
    settings: Settings, lines: Iterator[str] | None, fresh: bool = False, start: datetime | None = None
) -> int:
    """Returns the exit code: 0, or 1 when the engine failed on an input (the transcript says where).

    The simulated clock is kept in the database: a restarted demo resumes at the simulated time it
    reached (never earlier, or reminders already made would be made again), unless ``fresh``.
    """
    real_now = SystemClock().now()
    clock = FakeClock(start or real_now.replace(second=0, microsecond=0))
    transport = ConsoleTransport(write=print)

    app = await bootstrap(
        settings,
        clock,
        {CHANNEL: transport},
        staff_target=(CHANNEL, STAFF_CHAT),
        limiter=Unlimited(),
        demo_therapist=DEMO_THERAPIST,
        trial_seed=demo_seed()[0],  # the whole trial: application, interview (you play the therapist), draw
    )
    chat = ConsoleChat(app.service, app.sender, transport, clock, app.relay, on_advance=lambda at: _keep(app, at))
    try:
        if fresh:
            async with app.db.transaction() as session:
                await session.execute(delete(Participant).where(Participant.channel == CHANNEL))
        else:
            kept = await load_instant(app.db, DEMO_CLOCK)
            if kept is not None and (start is None or kept > clock.now()):
                clock.set(kept)
                print(f"(resuming the demo's simulated time: {kept:%a %d %b %Y %H:%M} UTC; --fresh starts over)")
        await _keep(app, clock.now())
        if lines is None:
            print(f"icbt demo – you are the participant. Type /start to begin. Console: {CONSOLE_COMMANDS}")
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
