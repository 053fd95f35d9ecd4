"""``/consent``: the consent the participant gave, readable again at any time, with its version and time.

The text is the consent module's own pages and decision step (the words they agreed to, as the content
holds them); the version and the moment come from the participant's state, stamped when they tapped
"I agree" (``steps.py`` stores the same pair as a consent row).
"""

from __future__ import annotations

from datetime import datetime

from bot.content.schema import ConsentStep
from bot.engine import calendar
from bot.engine.model import Inbound
from bot.engine.turn import Turn


def show(turn: Turn, inbound: Inbound) -> None:
    given = turn.state.consent_given
    if not given:
        turn.say(turn.msg("trial.consent_none"))
        return
    programme = turn.programme
    module = next(
        (programme.modules[m] for m in programme.onboarding
         if any(isinstance(s, ConsentStep) for s in programme.modules[m].steps)),
        None,
    )  # fmt: skip
    if module is not None:
        pages = [turn.t(step.text) for step in module.steps if turn.t(step.text)]
        turn.say("\n\n".join(pages))
    at = calendar.local_now(datetime.fromisoformat(given["at"]), turn.state.timezone)
    turn.say(turn.msg("trial.consent_given", version=given["version"], when=f"{at:%-d %B %Y, %H:%M}"))
