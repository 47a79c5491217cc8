"""Builds the qualifier the settings ask for."""

from __future__ import annotations

from bot.settings import Settings
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.qualifier import Qualifier


def build_qualifier(settings: Settings, store=None) -> Qualifier:
    """The offline qualifier (an LLM-backed one arrives with the LLM issue)."""
    return Qualifier(OfflineExtractor())
