"""The allocation seed: required for a real run, a fixed and announced one for the demo."""

from __future__ import annotations

from bot.errors import ConfigError
from bot.settings import Settings
from bot.trial.allocation import DEMO_SEED, seed_bytes

MIN_SEED_LENGTH = 16


def run_seed(settings: Settings) -> bytes:
    """The site's secret seed, or ``ConfigError`` (one line) when it is missing or too short."""
    if settings.trial_seed is None:
        raise ConfigError(
            "config error: ICBT_TRIAL_SEED: required to run the trial; set a long random secret "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`) and keep it with the trial records"
        )
    secret = settings.trial_seed.get_secret_value()
    if len(secret) < MIN_SEED_LENGTH:
        raise ConfigError(f"config error: ICBT_TRIAL_SEED: must be at least {MIN_SEED_LENGTH} characters")
    return seed_bytes(secret)


def demo_seed() -> tuple[bytes, str]:
    """The demo's fixed seed and the line that says so."""
    return seed_bytes(DEMO_SEED), "note: the demo draws with a fixed demo seed, not a trial's secret seed"
