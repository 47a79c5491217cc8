"""Fast unit tests of the services against in-memory fakes (tests/services/fakes.py): no
database, no HTTP, a qualifier that answers what the test says."""

from __future__ import annotations

import shutil

import pytest
from services.fakes import MemoryUnitOfWork, NoPacing, RecordingGateway

from bot.domain.permissions import Managers
from bot.services.claims import ClaimsService
from bot.services.csv_drops import CsvDropService
from bot.services.deliver import DeliverService
from bot.services.posting import MessagePoster
from bot.services.qualify import QualifyService
from bot.services.receive import ReceiveService
from bot.services.rubric_admin import RubricAdminService
from bot.services.rubric_holder import RubricHolder
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.models import CriterionResult, Extraction, Lead, Qualification, RubricRef
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import DEFAULT_RUBRIC_PATH, Rubric

SALES = "CSALES"
MANAGER = "UMGR"


class _NoAnswers:
    """The extractor behind a lead with thread answers: finds nothing in the text itself."""

    name = "scripted"

    def extract(self, lead: Lead, rubric: Rubric) -> tuple[Extraction, None]:
        return Extraction(), None


class ScriptedQualifier:
    """Qualifies every lead as `tier` (a test sets it), with a budget answered (a lead
    signal), and counts its calls."""

    name = "scripted"
    extractor = _NoAnswers()

    def __init__(self) -> None:
        self.tier, self.score, self.knockout = "warm", 55, None
        self.calls = 0

    def qualify(self, lead: Lead, rubric: Rubric) -> Qualification:
        self.calls += 1
        return Qualification(
            score=self.score,
            tier=self.tier,
            knockout=self.knockout,
            rubric=RubricRef(name=rubric.name, version=rubric.version),
            qualifier="scripted",
            criteria=[CriterionResult(id="budget", label="Budget", value=50000, max_points=25)],
        )

    def qualify_many(self, leads: list[Lead], rubric: Rubric) -> list[Qualification]:
        return [self.qualify(lead, rubric) for lead in leads]


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway()


@pytest.fixture
def qualifier() -> ScriptedQualifier:
    return ScriptedQualifier()


@pytest.fixture(scope="session")
def rubrics() -> RubricHolder:
    return RubricHolder.from_file(DEFAULT_RUBRIC_PATH)


@pytest.fixture
def qualify(uow, qualifier, rubrics) -> QualifyService:
    return QualifyService(uow, qualifier, rubrics)


@pytest.fixture
def csv_drops(uow, gateway, deliver, rubrics, poster) -> CsvDropService:
    return CsvDropService(uow, gateway, deliver, rubrics, poster, max_rows=500, hard_max_rows=5000)


@pytest.fixture
def receive(uow, qualify, gateway, csv_drops) -> ReceiveService:
    return ReceiveService(uow, qualify, gateway, csv_drops, Managers([MANAGER]))


@pytest.fixture
def claims(uow, rubrics) -> ClaimsService:
    return ClaimsService(uow, Managers([MANAGER]), rubrics)


@pytest.fixture
def poster(uow, gateway) -> MessagePoster:
    return MessagePoster(uow, gateway, NoPacing())


@pytest.fixture
def deliver(uow, gateway, qualify, rubrics, poster) -> DeliverService:
    return DeliverService(uow, gateway, qualify, rubrics, poster, sales_channel=SALES)


@pytest.fixture
def holder(tmp_path) -> RubricHolder:
    path = tmp_path / "rubric.yaml"
    shutil.copy(DEFAULT_RUBRIC_PATH, path)
    return RubricHolder.from_file(path)


@pytest.fixture
def admin(uow, gateway, holder) -> RubricAdminService:
    return RubricAdminService(
        uow,
        gateway,
        holder,
        Managers([MANAGER]),
        Qualifier(OfflineExtractor()),
        sales_channel="CSALES",
    )
