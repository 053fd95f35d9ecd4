"""The trial as the engine asks for it (``bot/engine/rules.py``): its turns of the conversation."""

from __future__ import annotations

from bot.engine.model import Inbound
from bot.engine.turn import Turn
from bot.trial.steps import application, consent_view, mydata, withdrawal


class Trial:
    withdraw_token = withdrawal.WITHDRAW_TOKEN

    def wanted(self, turn: Turn) -> bool:
        return application.wanted(turn)

    def begin(self, turn: Turn) -> None:
        application.begin(turn)

    def ask(self, turn: Turn, full: bool = True) -> None:
        application.ask(turn, full)

    def answer(self, turn: Turn, inbound: Inbound, quiet: bool = False) -> None:
        application.answer(turn, inbound, quiet)

    def tell_where(self, turn: Turn, welcome_back: bool) -> bool:
        return application.tell_where(turn, welcome_back)

    def withdraw(self, turn: Turn, inbound: Inbound) -> None:
        withdrawal.ask(turn, inbound)

    def on_withdraw_button(self, turn: Turn, value: str) -> None:
        withdrawal.on_button(turn, value)

    def show_consent(self, turn: Turn, inbound: Inbound) -> None:
        consent_view.show(turn, inbound)

    def request_mydata(self, turn: Turn, inbound: Inbound) -> None:
        mydata.request(turn, inbound)
