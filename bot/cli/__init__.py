"""The ``icbt`` command line: the typer app in ``app.py``, one module per group of commands.

Heavy parts (the database, python-telegram-bot, the analysis stack) are imported inside the commands,
so ``icbt --help`` stays quick.
"""
