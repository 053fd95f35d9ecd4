"""The Telegram channel (python-telegram-bot): updates in, outbox messages out."""
