"""APScheduler wiring: a few interval sweeps ask the database what is due, instead of one job per
participant. ``misfire_grace_time`` is set (APScheduler's default of 1 s silently skips late runs),
and ``coalesce``/``max_instances=1`` keep overlapping sweeps from piling up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.conversation.service import ConversationService
from bot.relay.service import RelayService

log = logging.getLogger(__name__)


async def sweep_due(service: ConversationService) -> None:
    count = await service.tick_due()
    if count:
        log.info("sweep: %d participants due", count)


async def sweep_relay(relay: RelayService) -> None:
    """SLA nudges, URGENT repeats until /ack, week-2 call tasks, failed-delivery reports."""
    count = await relay.sweep()
    if count:
        log.info("relay sweep: %d things done", count)


async def sweep_inbox(replay: Callable[[], Awaitable[int]]) -> None:
    """Updates whose processing failed (or whose process died) are tried again."""
    count = await replay()
    if count:
        log.info("inbox: %d updates processed again", count)


PURGE_EVERY_SECONDS = 3600  # the retention purge: payloads of old sent messages, old applications


async def sweep_purge(purge: Callable[[], Awaitable[tuple[int, int]]]) -> None:
    """Blank what the site's retention settings say is no longer kept (bot/trial/privacy.py)."""
    messages, applications = await purge()
    if messages or applications:
        log.info("retention purge: %d message payloads, %d applications", messages, applications)


def build_scheduler(
    service: ConversationService,
    interval_seconds: int,
    relay: RelayService | None = None,
    purge: Callable[[], Awaitable[tuple[int, int]]] | None = None,
    inbox: Callable[[], Awaitable[int]] | None = None,
) -> AsyncIOScheduler:
    """``inbox`` processes updates recorded but not processed (``bot/channels/telegram/inbox.py``)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        sweep_due,
        "interval",
        seconds=interval_seconds,
        args=[service],
        id="sweep_due",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=interval_seconds,
        replace_existing=True,
    )
    if relay is not None:
        scheduler.add_job(sweep_relay, "interval", seconds=interval_seconds, args=[relay], id="sweep_relay",
                          coalesce=True, max_instances=1, misfire_grace_time=interval_seconds, replace_existing=True)  # fmt: skip
    if purge is not None:
        scheduler.add_job(sweep_purge, "interval", seconds=PURGE_EVERY_SECONDS, args=[purge], id="sweep_purge",
                          coalesce=True, max_instances=1, misfire_grace_time=PURGE_EVERY_SECONDS,
                          replace_existing=True)  # fmt: skip
    if inbox is not None:
        scheduler.add_job(sweep_inbox, "interval", seconds=interval_seconds, args=[inbox], id="sweep_inbox",
                          coalesce=True, max_instances=1, misfire_grace_time=interval_seconds,
                          replace_existing=True)  # fmt: skip
    return scheduler
