"""The features' rules put together for the engine, and the engine built with them.

The one place where ``bot.engine`` meets ``bot.measures`` and ``bot.trial`` (see ``bot/engine/rules.py``):
``bootstrap``, the simulator, the command line and the tests build their engine here.
"""

from __future__ import annotations

from bot.content.programme import Programme
from bot.engine import Engine
from bot.engine.model import Policy
from bot.engine.rules import FeatureRules
from bot.measures.rules import Measures
from bot.trial.rules import Trial

RULES = FeatureRules(measures=Measures(), trial=Trial())


def build_engine(programme: Programme, policy: Policy | None = None) -> Engine:
    return Engine(programme, policy, RULES)
