"""The Slack app manifests, installed as the package `bot.manifests` (see setup.py)."""
