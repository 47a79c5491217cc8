"""Sample leads for `leadbot demo`, installed as the package `bot.examples` (see setup.py)."""
