"""``icbt run``: wire Telegram, the database, the sender and the sweeps, and run until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Bot
from telegram.constants import ChatType
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.request import BaseRequest

from bot.bootstrap import bootstrap
from bot.channels.telegram.app import build_application, open_inbox, register_handlers
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.inbox import LEASE, Inbox, InboxUnavailable
from bot.channels.telegram.staff import TelegramStaffGateway, register_staff_handlers
from bot.channels.telegram.transport import TelegramTransport
from bot.clock import SystemClock
from bot.errors import ConfigError, TelegramUnavailable
from bot.heap import freeze_long_lived
from bot.relay.topics import TopicDirectory
from bot.safety.crisis import StaffStatus
from bot.settings import Settings
from bot.storage.database import Database
from bot.trial.seed import run_seed
from scheduler.jobs import build_scheduler
from scheduler.sender import report_undelivered_staff

log = logging.getLogger(__name__)
NO_STAFF_HINT = "(add the bot to the staff group, or set ICBT_STAFF_MODE=none to run without one)"
TWO_POLLERS = (
    "another process is already polling this bot (Telegram answered 409 Conflict): run one polling "
    "process, or webhook mode for several workers (docs/scaling.md)"
)
UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
]  # edits are screened; my_chat_member: the relay leaves foreign groups


def run_telegram(settings: Settings) -> None:
    if settings.telegram_token is None:
        raise ConfigError("config error: ICBT_TELEGRAM_TOKEN: required for `icbt run` (get one from @BotFather)")
    if settings.staff_mode == "telegram" and settings.staff_chat_id is None:
        raise ConfigError(f"config error: ICBT_STAFF_CHAT_ID: required for `icbt run` {NO_STAFF_HINT}")
    if settings.telegram_mode == "webhook" and not settings.webhook_url:
        raise ConfigError("config error: ICBT_WEBHOOK_URL: required when telegram_mode is webhook")
    require_primary_outcome(settings)
    try:
        asyncio.run(serve(settings))
    except InvalidToken:
        raise ConfigError("config error: ICBT_TELEGRAM_TOKEN: Telegram rejected the token") from None
    except NetworkError as exc:
        raise TelegramUnavailable(f"cannot reach the Bot API at {settings.telegram_base_url}: {exc}") from None


def require_primary_outcome(settings: Settings) -> None:
    """No trial without its primary outcome: refuse to start, in one line, while its wording is missing."""
    from bot.content.loader import load_programme
    from bot.measures.primary_outcome import primary_outcome_problem

    programme = load_programme(settings.content_dir, settings.site_content_dir)
    problem = primary_outcome_problem(programme, settings.content_dir, settings.site_content_dir)
    if problem is not None:
        raise ConfigError(f"content error: {problem}")


class _ConflictSaid(logging.Filter):
    """A 409 Conflict is said once, in our own line: python-telegram-bot's last ``getUpdates`` on the
    way out meets it again and would log it with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], Conflict))


async def verify_staff_chat(bot: Bot, settings: Settings) -> bool:
    """Whether the staff group takes the bot's messages now (``getChat``); refuse to start only when
    the setting itself is wrong (missing, or not a group).

    An unreachable group does not stop the bot (degraded mode): participants keep the programme, the
    reminders and the crisis message, which then says the team could not be reached; every staff post
    stays queued and goes out, URGENT first, once the group takes the bot again.
    """
    if settings.staff_mode == "none":
        log.warning("staff_mode is none: no staff group; the crisis message says nobody is alerted")
        return False
    hint = NO_STAFF_HINT
    if settings.staff_chat_id is None:
        raise ConfigError(f"config error: ICBT_STAFF_CHAT_ID: required for `icbt run` {hint}")
    try:
        chat = await bot.get_chat(settings.staff_chat_id)
    except (BadRequest, Forbidden) as exc:
        log.error("staff chat %s is not reachable: %s %s; running in degraded mode: staff posts are queued and "
                  "crisis messages say the team could not be reached", settings.staff_chat_id, exc.message, hint)  # fmt: skip
        return False
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        raise ConfigError(
            f"config error: ICBT_STAFF_CHAT_ID: chat {settings.staff_chat_id} is a {chat.type} chat, not a group {hint}"
        )
    log.info("staff chat %s reachable (%s, topics %s)", chat.id, chat.type, "on" if chat.is_forum else "off")
    return True


def staff_target(settings: Settings) -> tuple[str, str] | None:
    """Where staff messages go: the staff group in telegram mode, nowhere in no-staff mode."""
    if settings.staff_mode == "none" or settings.staff_chat_id is None:
        return None
    return (CHANNEL, str(settings.staff_chat_id))


async def serve(settings: Settings, request: BaseRequest | None = None) -> None:
    """Run until SIGINT/SIGTERM; ``request`` replaces the HTTP exchange with the Bot API (tests)."""
    application = build_application(settings, request)
    await application.bot.initialize()  # getMe: a rejected token stops here, before the database
    try:
        reachable = await verify_staff_chat(application.bot, settings)
    except ConfigError:
        await application.bot.shutdown()
        raise
    staff = staff_target(settings)
    clock = SystemClock()
    db = Database(settings.database_url)
    topics = None  # the staff group's forum topics, built with the transport that posts into them
    if staff is not None and settings.staff_chat_id is not None:
        gateway = TelegramStaffGateway(application.bot, settings.staff_chat_id)
        topics = TopicDirectory(db, SystemClock(), str(settings.staff_chat_id), gateway.create_topic,
                                enabled=settings.staff_topics, rename=gateway.rename_topic,
                                made_nothing=gateway.made_nothing)  # fmt: skip
    transport = TelegramTransport(application.bot, topics)
    seed = run_seed(settings) if settings.trial_seed is not None else None  # `icbt run` requires it (cli.py)
    status = StaffStatus(str(settings.staff_chat_id), reachable) if staff is not None else None
    app = await bootstrap(settings, clock, {CHANNEL: transport}, staff_target=staff, trial_seed=seed,
                          staff_status=status, db=db)  # fmt: skip
    if app.relay is not None and topics is not None:  # relay: staff group
        await topics.reconcile()  # topics a crash left half-made: made once, their posts then go in
        register_staff_handlers(application, app.relay)
    register_handlers(application, app.service)
    open_inbox(application, Inbox(app.db, clock))  # from here, updates are recorded before they are confirmed
    freeze_long_lived(app.programme)  # otherwise each full collection stalls all answering for ~0.25 s
    app.service.sweeper.pool.start()  # the tick workers, forked now: before the scheduler and the sender run
    await report_undelivered_staff(app.db, clock)  # ERROR "N staff messages undelivered since …"
    scheduler = build_scheduler(
        app.service,
        settings.sweep_interval_seconds,
        app.relay,
        app.privacy.purge if app.privacy is not None else None,
        inbox=lambda: application.replay(received_before=clock.now() - LEASE),
    )
    stop = asyncio.Event()
    refused: list[str] = []

    def polling_error(exc: TelegramError) -> None:
        """One line per failed poll (python-telegram-bot's default logs a traceback each time); a
        409 Conflict means another process polls this bot: this one stops instead of fighting it."""
        if isinstance(exc, Conflict):
            logging.getLogger("telegram.ext.Updater").addFilter(_ConflictSaid())
            refused.append(TWO_POLLERS)
            stop.set()
            return
        if isinstance(exc, InboxUnavailable):  # the database's outage, said once by its Outage
            return
        log.error("polling for updates failed: %s: %s", type(exc).__name__, exc)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # POSIX only; the bot is deployed on Linux
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.replay()  # what a crashed run recorded but did not process, once, in order
        await application.start()
        if settings.telegram_mode == "webhook":
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await application.updater.start_webhook(  # type: ignore[union-attr]
                listen=settings.webhook_listen, port=settings.webhook_port, url_path="telegram",
                webhook_url=settings.webhook_url, secret_token=secret, allowed_updates=UPDATES,
            )  # fmt: skip
        else:
            await application.updater.start_polling(  # type: ignore[union-attr]
                allowed_updates=UPDATES, error_callback=polling_error
            )
        scheduler.start()
        sender_task = asyncio.create_task(app.sender.run(stop))
        relay_task = asyncio.create_task(app.relay.run(stop)) if app.relay is not None else None
        log.info("icbt-bot running (%s), content version %s", settings.telegram_mode, app.programme.version)
        await stop.wait()
        log.info("stopping")
        scheduler.shutdown(wait=False)
        await sender_task
        if relay_task is not None:
            await relay_task
        await application.updater.stop()  # type: ignore[union-attr]
        await application.stop()
    app.service.sweeper.close()
    await app.db.dispose()
    if refused:
        raise TelegramUnavailable(refused[0])
