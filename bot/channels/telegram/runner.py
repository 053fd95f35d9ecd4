"""``icbt run``: wire Telegram, the database, the sender and the sweeps, and run until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import InvalidToken, NetworkError

from bot.bootstrap import bootstrap
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.transport import TelegramTransport
from bot.clock import SystemClock
from bot.errors import ConfigError, TelegramUnavailable
from bot.settings import Settings
from scheduler.jobs import build_scheduler
from scheduler.sender import report_undelivered_staff

log = logging.getLogger(__name__)


def run_telegram(settings: Settings) -> None:
    if settings.telegram_token is None:
        raise ConfigError("config error: ICBT_TELEGRAM_TOKEN: required for `icbt run` (get one from @BotFather)")
    if settings.telegram_mode == "webhook" and not settings.webhook_url:
        raise ConfigError("config error: ICBT_WEBHOOK_URL: required when telegram_mode is webhook")
    try:
        asyncio.run(_serve(settings))
    except InvalidToken:
        raise ConfigError("config error: ICBT_TELEGRAM_TOKEN: Telegram rejected the token") from None
    except NetworkError as exc:
        raise TelegramUnavailable(f"cannot reach the Bot API at {settings.telegram_base_url}: {exc}") from None


async def _serve(settings: Settings) -> None:
    application = build_application(settings)
    staff = (CHANNEL, str(settings.staff_chat_id)) if settings.staff_chat_id is not None else None
    clock = SystemClock()
    app = await bootstrap(settings, clock, {CHANNEL: TelegramTransport(application.bot)}, staff_target=staff)
    register_handlers(application, app.service)
    await report_undelivered_staff(app.db, clock)  # ERROR "N staff messages undelivered since …"
    scheduler = build_scheduler(app.service, settings.sweep_interval_seconds)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # POSIX only; the bot is deployed on Linux
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await application.start()
        if settings.telegram_mode == "webhook":
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            await application.updater.start_webhook(  # type: ignore[union-attr]
                listen=settings.webhook_listen, port=settings.webhook_port, url_path="telegram",
                webhook_url=settings.webhook_url, secret_token=secret, allowed_updates=["message", "callback_query"],
            )  # fmt: skip
        else:
            await application.updater.start_polling(allowed_updates=["message", "callback_query"])  # type: ignore[union-attr]
        scheduler.start()
        sender_task = asyncio.create_task(app.sender.run(stop))
        log.info("icbt-bot running (%s), content version %s", settings.telegram_mode, app.programme.version)
        await stop.wait()
        log.info("stopping")
        scheduler.shutdown(wait=False)
        await sender_task
        await application.updater.stop()  # type: ignore[union-attr]
        await application.stop()
    await app.db.dispose()
