"""The real Bolt app over real HTTP, its real WebClient pointed at FakeSlackAPI.

`slack` plays Slack's side (slack_helpers.SlackSide): it sends signed requests to the app,
served by a threaded WSGI server on 127.0.0.1 so concurrent clicks are concurrent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_helpers import (
    HOT_CHANNEL,
    INTAKE,
    MANAGER,
    ROUTED_CHANNEL,
    SALES,
    SIGNING_SECRET,
    SlackSide,
)

from bot.bootstrap import LeadbotApp, create_app
from bot.settings import Settings
from bot.slack.gateway import build_web_client
from bot.slack.web import wsgi_app
from qualifiers.rubric import DEFAULT_RUBRIC_PATH


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:
        """Silenced: test output shows failures, not access logs."""


@pytest.fixture
def routed_rubric(tmp_path) -> Path:
    """The default rubric, except that hot and warm leads go to their own channels."""
    text = DEFAULT_RUBRIC_PATH.read_text()
    for tier, channel in (
        ("{id: hot, min_score: 70, sla_minutes: 15}", HOT_CHANNEL),
        ("{id: warm, min_score: 40, sla_minutes: 240}", ROUTED_CHANNEL),
    ):
        assert tier in text, "the default rubric's tiers changed; update this fixture"
        text = text.replace(tier, tier[:-1] + f", channel: {channel}}}")
    path = tmp_path / "routed.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def slack_settings(fake_slack, tmp_path, routed_rubric) -> Settings:
    return Settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        LEADBOT_INTAKE_CHANNELS=f"{INTAKE},CINTAKE2",
        LEADBOT_SALES_CHANNEL=SALES,
        LEADBOT_MANAGERS=MANAGER,
        LEADBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'slack.db'}",
        LEADBOT_RUBRIC=str(routed_rubric),
        LEADBOT_WORKER_THREADS=4,
    )


@pytest.fixture
def leadbot(slack_settings, fake_slack, repo) -> Iterator[LeadbotApp]:
    client = build_web_client("xoxb-test-token", fake_slack.url, backoff_seconds=0.01)
    app = create_app(slack_settings, client=client, database=repo)
    app.worker.poll_seconds = 0.05
    app.worker.retry_base_seconds = 0.02
    app.worker.retry_max_seconds = 0.2
    app.start_worker()
    yield app
    app.stop()


@pytest.fixture
def slack(leadbot) -> Iterator[SlackSide]:
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(leadbot),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield SlackSide(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()
    thread.join()
