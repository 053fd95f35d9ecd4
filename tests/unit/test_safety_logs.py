"""Log hygiene: the bot token never appears in a log line (real loggers, real httpx, real records)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest

from bot.safety.logs import RedactingFilter, configure_logging, install_redaction, redact, remove_redaction

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = TOKEN.split(":", 1)[1]


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    logger = logging.getLogger("tests.safety.logs")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    install_redaction(logger)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.fixture
def root_logging() -> Iterator[io.StringIO]:
    """The CLI's set-up on the real root logger, undone afterwards."""
    root = logging.getLogger()
    saved_level = root.level
    saved_levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    stream = io.StringIO()
    handler = configure_logging("INFO", secrets=[TOKEN], stream=stream)
    yield stream
    root.removeHandler(handler)
    remove_redaction(root)
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


def test_log_filter_masks_a_token_in_the_message_and_its_arguments(captured):
    logger, stream = captured
    logger.info("HTTP Request: POST %s %s", f"https://api.telegram.org/bot{TOKEN}/getUpdates", '"HTTP/1.1 200 OK"')
    logger.warning(f"token {TOKEN} in an f-string")
    out = stream.getvalue()
    assert SECRET not in out
    assert "https://api.telegram.org/bot123456789:***/getUpdates" in out
    assert "token 123456789:*** in an f-string" in out


def test_log_filter_masks_a_token_in_a_traceback(captured):
    logger, stream = captured
    try:
        raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("update failed")
    out = stream.getvalue()
    assert "Traceback" in out and "RuntimeError: connect failed" in out
    assert SECRET not in out


def test_log_filter_keeps_ordinary_lines_unchanged():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "participant %s event %s", ("P-0007", "answer"), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "participant P-0007 event answer"
    assert redact("12:30 and 2026-01-05 10:00:00") == "12:30 and 2026-01-05 10:00:00"


def test_cli_logging_silences_httpx_request_urls_and_masks_tokens(root_logging):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": True})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        client.post(f"https://api.telegram.org/bot{TOKEN}/getMe")
    logging.getLogger("httpx").warning("retrying https://api.telegram.org/bot%s/getMe", TOKEN)
    logging.getLogger("bot.channels").error("could not send: %s", f"url=/bot{TOKEN}/sendMessage")
    out = root_logging.getvalue()
    assert "HTTP Request" not in out  # httpx's INFO line with the URL is not emitted at all
    assert "retrying https://api.telegram.org/bot123456789:***/getMe" in out
    assert "could not send: url=/bot123456789:***/sendMessage" in out
    assert SECRET not in out
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING


def test_httpx_logs_the_token_without_the_cli_set_up(caplog):
    """Why the set-up exists: httpx itself writes the full request URL at INFO."""
    caplog.set_level(logging.INFO, logger="httpx")
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        client.get(f"https://api.telegram.org/bot{TOKEN}/getMe")
    assert SECRET in caplog.text
