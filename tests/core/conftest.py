"""Fixtures for the core tests: a repository on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes.store_probe import StoreProbe
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"

# Read at import: the autouse `hermetic_env` fixture scrubs LEADBOT_* before each test.
# .ci/run sets it; then the PostgreSQL variants run, and fail (never skip) if it is unreachable.
POSTGRES_URL = os.environ.get("LEADBOT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def repository(request, tmp_path) -> Iterator[StoreProbe]:
    """A fresh, migrated database on each configured backend."""
    if request.param == "sqlite":
        repository = StoreProbe.from_url(f"sqlite:///{tmp_path / 'leadbot.db'}")
        yield repository
        repository.engine.dispose()
        return
    yield from _postgres_repository(POSTGRES_URL)


def _postgres_repository(url: str) -> Iterator[StoreProbe]:
    """A database in its own freshly created schema, dropped afterwards."""
    schema = f"leadbot_test_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"LEADBOT_TEST_POSTGRES_URL={url} is set but PostgreSQL is unreachable: {exc}")
    scoped = admin_url.update_query_dict({"options": f"-csearch_path={schema}"})
    repository = StoreProbe.from_url(scoped.render_as_string(hide_password=False))
    try:
        yield repository
    finally:
        repository.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def leadbot_script() -> Path:
    """The installed `leadbot` console script next to the running interpreter."""
    script = Path(sys.executable).with_name("leadbot")
    if not script.exists():
        pytest.fail(f"{script} not found: install the project (`make test` does) before testing")
    return script


@pytest.fixture
def leadbot(leadbot_script: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `leadbot ARGS` as a user would: a subprocess in the test's directory and scrubbed
    environment. Returns the completed process with stdout and stderr as text."""

    def run(
        *args: str, stdin: bytes | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [str(leadbot_script), *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return subprocess.CompletedProcess(
            completed.args,
            completed.returncode,
            completed.stdout.decode("utf-8"),
            completed.stderr.decode("utf-8"),
        )

    return run
