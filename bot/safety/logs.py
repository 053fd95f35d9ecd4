"""Log hygiene: the bot token never reaches a log line.

httpx logs every request URL at INFO, and a Bot API URL carries the token (``/bot<id>:<secret>/``).
So the HTTP client loggers are raised to WARNING, and every handler gets a filter that masks anything
shaped like a token, in the message, its arguments and any formatted traceback, as a second line of
defence for whatever library logs a URL next.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

# "bot123456:AA…" in a URL, or a bare "123456:AA…" token (Telegram ids are digits, secrets 30+ chars).
TOKEN_PATTERN = re.compile(r"(?<![\w])(bot)?(\d{3,}):[A-Za-z0-9_-]{20,}")
NOISY_LOGGERS = ("httpx", "httpcore", "telegram.request", "apscheduler.executors.default")
MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every token-shaped string (and each given secret) replaced by a mask."""
    text = TOKEN_PATTERN.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}:{MASK}", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks tokens in a record before any handler formats it; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class CliHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_logging`` installs, so a later call can find and replace it.

    Without a stream of its own it writes to whatever ``sys.stderr`` is at the time of the record, so a
    swapped-out stderr (the CLI test runner) never leaves it writing to a closed file."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream or sys.stderr)
        self.follows_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self.follows_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str, secrets: Iterable[str] = (), stream: TextIO | None = None) -> logging.Handler:
    """The CLI's logging: one stream handler on the root logger, every root handler redacting, HTTP quiet."""
    handler = CliHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, CliHandler)]:
        root.removeHandler(old)  # a second command in one process (tests, the CLI runner) replaces it
    root.addHandler(handler)
    root.setLevel(level)
    install_redaction(root, secrets)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler


def install_redaction(logger: logging.Logger, secrets: Iterable[str] = ()) -> None:
    """Put one ``RedactingFilter`` on each of ``logger``'s handlers (again: replaces the old one)."""
    remove_redaction(logger)
    for handler in logger.handlers:
        handler.addFilter(RedactingFilter(tuple(secrets)))


def remove_redaction(logger: logging.Logger) -> None:
    """Take the ``RedactingFilter``s off ``logger``'s handlers (tests restore logging with it)."""
    for handler in logger.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
