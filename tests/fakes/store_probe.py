"""The database as tests look into it: every `LeadRepository` method, each call its own
unit of work (e.g. `repo.get_lead(1)`), so assertions read what the app committed."""

from __future__ import annotations

from bot.store.database import Database
from bot.store.repository import LeadRepository
from bot.store.unit_of_work import UnitOfWork


class StoreProbe(Database):
    def __getattr__(self, name: str):
        if not callable(getattr(LeadRepository, name, None)) or name.startswith("_"):
            raise AttributeError(name)

        def call(*args, **kwargs):
            with UnitOfWork(self) as tx:
                return getattr(tx.leads, name)(*args, **kwargs)

        return call
