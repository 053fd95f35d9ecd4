"""The staff side in `icbt demo`: the staff group's view is shown, marked, and the person at the
keyboard answers as the therapist; the participant's chat stays as it was."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.demo import run_demo
from bot.settings import load_settings
from tests.conftest import sqlite_url

LINES = ["/start", "", "", "", "1", "/ask Is swimming OK for my back?", "/staff Yes, swimming is a good choice.",
         "/staff /queue", "/staff /note seemed relieved", "/staff"]  # fmt: skip


async def test_demo_shows_the_staff_group_and_relays_the_therapist_answer(tmp_path, capsys):
    settings = load_settings(database_url=sqlite_url(tmp_path))
    code = await run_demo(settings, iter(LINES), start=datetime(2026, 1, 5, 7, 0, tzinfo=UTC))
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    staff_box = out.index("┌─ STAFF GROUP (what the therapists see) · topic P-0001")
    assert "❓ Question from P-0001" in out[staff_box:]
    assert "bot: Your message has reached your therapist, who aims to answer by Tuesday 6 January, 17:00." in out
    reply = out.index("bot: Yes, swimming is a good choice.")
    assert "— Your therapist Alex (demo)" in out[reply : reply + 200]
    assert "Nothing is waiting. 🎉" in out, "the answer closed the question"
    assert "📝 Internal note saved for P-0001" in out
    assert "bot: seemed relieved" not in out, "a note never reaches the participant"
    assert "(usage: /staff TEXT" in out


async def test_demo_risk_words_get_the_true_crisis_message_the_pause_and_an_urgent_alert(tmp_path, capsys):
    settings = load_settings(database_url=sqlite_url(tmp_path))
    lines = ["/start", "", "", "", "1", "I don't see the point of living anymore", "/ask I want to kill myself",
             "hello?", "/staff /ack", "/staff"]  # fmt: skip
    code = await run_demo(settings, iter(lines), start=datetime(2026, 1, 5, 7, 0, tzinfo=UTC))
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "nobody has been alerted" not in out, "the demo's staff view does get the alert"
    crisis = out.index("An urgent alert with your words is on its way to your therapist team")
    after = out[crisis : out.index("hello?", crisis)]
    assert "Let's pause the programme here" in after and "Sorry, I didn't catch that" not in after
    assert "get in touch with you today" in out, "the concern before it: warm words, same day"
    assert "🚨 URGENT · P-0001" in out and "🟠 Concern · P-0001" in out
    assert "✅ Acknowledged by Alex (demo)" in out
