"""Every service of the running app in one place: `bot.bootstrap` builds it, the Slack
listeners and the web server take what they need from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.services.assignment import AssignmentService
from bot.services.claims import ClaimsService
from bot.services.csv_drops import CsvDropService
from bot.services.deliver import DeliverService
from bot.services.gateway import SlackGateway
from bot.services.outcomes import OutcomesService
from bot.services.qualify import QualifyService
from bot.services.receive import ReceiveService
from bot.services.rubric_admin import RubricAdminService
from bot.services.rubric_holder import RubricHolder
from bot.settings import Settings


@dataclass
class Services:
    """What the Slack listeners and the web server work with."""

    settings: Settings
    rubrics: RubricHolder
    gateway: SlackGateway
    receive: ReceiveService
    csv_drops: CsvDropService
    qualify: QualifyService
    deliver: DeliverService
    claims: ClaimsService
    outcomes: OutcomesService
    rubric_admin: RubricAdminService
    assignment: AssignmentService
    own_ids: Callable[[], frozenset[str]] = frozenset  # the bot's own user/bot/app ids
