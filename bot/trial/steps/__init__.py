"""The trial's turns of the conversation, run by the engine through ``bot/engine/rules.py``."""
