"""Steps that cannot be undone ask back first: an exclusion in the staff group waits for its own
one-time button (forged, stale, reused or another therapist's presses are refused), and
``icbt participants erase`` / ``interviewed … exclude`` need ``--yes`` or the code typed back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.app import app
from bot.relay.confirm import LIFETIME, YES
from bot.relay.content import load_relay_content
from bot.storage.models import OutboxMessage
from bot.storage.tables_trial import TrialInterview
from tests.support.chat import CHAT
from tests.support.relay import ANNA, BEN, CONTENT, relay_config, relay_service, staff_msg
from tests.support.trial import audits
from tests.support.trial_chat import TYPED, apply, through_welcome

WORDS = load_relay_content(CONTENT)
runner = CliRunner()


async def confirm_buttons(db) -> tuple[str, str, str]:
    """The latest confirming question in the staff group: its text, its Yes and its Cancel data."""
    async with db.reading() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == "staff")
                                      .order_by(OutboxMessage.id.desc()))).all()  # fmt: skip
    for row in rows:
        buttons = [b["data"] for line in row.payload.get("buttons") or [] for b in line]
        if buttons and buttons[0].startswith(YES):
            return row.payload["text"], buttons[0], buttons[1]
    raise AssertionError("no confirming question was posted")


async def interviews(db) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(select(TrialInterview.outcome)))


async def press(relay, data: str, user: int = ANNA) -> str | None:
    return (await relay.handle_staff(staff_msg("", user=user, button=data))).button_answer


async def test_an_exclusion_waits_for_its_own_fresh_button(db, programme, clock, pair, sender, transport):
    trial_chat, chat = pair
    relay = relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)
    trial_chat.register(relay.registry)
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    excluded = programme.text(programme.trial.words.excluded, "en")

    await relay.handle_staff(staff_msg("/interviewed P-0001 exclude prefers other care"))
    await sender.drain()
    question, yes, cancel = await confirm_buttons(db)
    assert question.startswith("Exclude P-0001 from the study?") and "prefers other care" in question
    assert await interviews(db) == [] and excluded not in transport.texts(CHAT), "nothing done yet"
    assert len(yes.encode()) <= 64, "fits Telegram's callback data"

    stale = WORDS.text("confirm_stale")
    assert await press(relay, YES + "0" * 24) == stale, "forged data"
    assert await press(relay, yes, user=BEN) == stale, "another therapist's question"
    assert await press(relay, cancel) == WORDS.text("confirm_cancelled")
    assert await press(relay, yes) == stale, "cancelled: the nonce is spent"
    await relay.handle_staff(staff_msg("/interviewed P-0001 exclude prefers other care"))
    _, old, _ = await confirm_buttons(db)
    clock.advance(LIFETIME + timedelta(seconds=1))
    assert await press(relay, old) == stale, "too old"
    assert await interviews(db) == []

    await relay.handle_staff(staff_msg("/interviewed P-0001 exclude prefers other care"))
    _, fresh, _ = await confirm_buttons(db)
    assert fresh not in (yes, old), "a fresh question each time"
    assert await press(relay, fresh) == WORDS.text("confirm_done")
    assert await press(relay, fresh) == stale, "works once"
    await sender.drain()
    assert await interviews(db) == ["exclude"] and transport.texts(CHAT).count(excluded) == 1


def test_erase_needs_the_code_typed_back_or_yes(site):
    nothing = runner.invoke(app, ["participants", "erase", "P-0003"])
    assert nothing.exit_code == 2 and "refused: nothing typed to confirm" in nothing.output
    assert "Traceback" not in nothing.output and len(nothing.output.strip().splitlines()) == 2  # question + one line
    wrong = runner.invoke(app, ["participants", "erase", "P-0003"], input="P-0002\n")
    assert wrong.exit_code == 1 and "not confirmed" in wrong.output
    assert audits(site, "erased") == []
    typed = runner.invoke(app, ["participants", "erase", "P-0003", "--by", "admin:bob"], input="p-0003\n")
    assert typed.exit_code == 0 and "P-0003 erased (" in typed.output
    assert audits(site, "erased") == ["admin:bob"]


def test_an_exclusion_from_the_cli_needs_the_code_typed_back_or_yes(site):
    nothing = runner.invoke(app, ["participants", "interviewed", "P-0002", "exclude", "--reason", "moved away"])
    assert nothing.exit_code == 2 and "refused: nothing typed to confirm" in nothing.output
    assert audits(site, "interviewed") == ["therapist:1", "therapist:1"], "nothing recorded"
