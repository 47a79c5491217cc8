"""`leadbot serve` in Socket Mode: the real Bolt SocketModeHandler (slack_sdk's built-in
WebSocket client) against a local WebSocket server that speaks Slack's Socket Mode protocol,
with the Web API (including apps.connections.open) faked by FakeSlackAPI."""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Iterator

import pytest
from fakes.store_probe import StoreProbe
from slack_helpers import (
    INTAKE,
    MARKETER,
    SALES,
    WARM_LEAD,
    action_ids,
    block_text,
    load_payload,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from bot.bootstrap import LeadbotApp
from bot.cli import serve as serve_command
from bot.render import summary as blocks
from bot.settings import Settings

APP_TOKEN = "xapp-test"
REP = "UREP1"
HELLO = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-test", "build_number": 1, "approximate_connection_time": 18060},
    "connection_info": {"app_id": "A111"},
}


class SocketModeEnd:
    """Slack's end of a Socket Mode connection: says hello to the app when it connects,
    sends envelopes and records the acknowledgements the app sends back."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._connection: ServerConnection | None = None
        self._ids = itertools.count(1)
        self.acks: list[dict] = []
        # Slack pings its clients too. Pinging often wakes the client's blocking read, so
        # handler.close() need not wait out that read's 3 s timeout (it still takes ~1 s).
        self._server = serve(self._session, "127.0.0.1", 0, ping_interval=0.05)
        self._thread = threading.Thread(target=self._server.serve_forever, name="SocketModeEnd")
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test-ticket&app_id=A111"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps(HELLO))
        with self._cond:
            self._connection = connection
            self._cond.notify_all()
        try:
            for message in connection:
                with self._cond:
                    self.acks.append(json.loads(message))
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the client closes its socket without a close frame

    def send(self, envelope_type: str, payload: dict, **fields) -> str:
        """Send one envelope to the connected app; returns its envelope_id."""
        envelope_id = f"envelope-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": False,
            **fields,
        }
        with self._cond:
            if not self._cond.wait_for(lambda: self._connection is not None, timeout=5):
                raise TimeoutError("the app never opened its Socket Mode connection")
            connection = self._connection
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> None:
        with self._cond:
            if not self._cond.wait_for(
                lambda: any(ack.get("envelope_id") == envelope_id for ack in self.acks), timeout
            ):
                raise TimeoutError(f"{envelope_id} not acknowledged; acks: {self.acks}")


def message_callback(text: str, ts: str) -> dict:
    """An event_callback for a person's message in the intake channel."""
    body = load_payload("events/event_callback_message_channel.json")
    event = body["event"]
    event.update(text=text, channel=INTAKE, user=MARKETER, ts=ts, event_ts=ts)
    event["blocks"][0]["elements"][0]["elements"][0]["text"] = text
    body["event_id"] = "EvSOCKET1"
    return body


def claim_click(summary: dict, channel: str, ts: str, user: str) -> dict:
    """A block_actions payload for `user` clicking Claim on the posted summary."""
    payload = load_payload("interactivity/block_actions_button_with_message.json")
    payload["user"] = {"id": user}
    payload["container"].update(channel_id=channel, message_ts=ts)
    payload["channel"] = {"id": channel}
    payload["message"].update(text=summary["text"], blocks=summary["blocks"], ts=ts)
    [buttons] = [b for b in summary["blocks"] if b["type"] == "actions"]
    [claim] = [e for e in buttons["elements"] if e["action_id"] == blocks.ACTION_CLAIM]
    action = copy.deepcopy(claim) | {"block_id": buttons["block_id"], "action_ts": "1700000009.1"}
    payload["actions"] = [action]
    return payload


@pytest.fixture
def socket_end() -> Iterator[SocketModeEnd]:
    end = SocketModeEnd()
    yield end
    end.close()


@pytest.fixture
def socket_mode_app(fake_slack, socket_end, tmp_path) -> Iterator[LeadbotApp]:
    """The app as `leadbot serve` builds and connects it when SLACK_APP_TOKEN is set."""
    fake_slack.set_socket_url(socket_end.url)
    settings = Settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake_slack.url,
        LEADBOT_INTAKE_CHANNELS=INTAKE,
        LEADBOT_SALES_CHANNEL=SALES,
        LEADBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'socket.db'}",
    )
    leadbot = serve_command.build(settings)
    leadbot.start_worker()
    handler = serve_command.socket_mode_handler(leadbot, APP_TOKEN)
    handler.connect()
    yield leadbot
    handler.close()
    leadbot.stop()


def test_socket_mode_acks_stores_posts_and_claims(socket_mode_app, socket_end, fake_slack):
    store = StoreProbe(socket_mode_app.database.engine)
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.token == APP_TOKEN

    ts = "1700000001.000100"
    dropped = socket_end.send(
        "events_api", message_callback(WARM_LEAD, ts), retry_attempt=0, retry_reason=""
    )
    socket_end.wait_for_ack(dropped)
    stored = store.find_by_intake(INTAKE, ts)
    assert stored is not None, "the lead must be stored before the envelope is acknowledged"
    assert stored.lead.submitted_by == MARKETER

    summary = fake_slack.wait_for("chat.postMessage")[0].body
    assert summary["channel"] == SALES
    assert blocks.ACTION_CLAIM in action_ids(summary["blocks"])
    socket_mode_app.worker.wait_until_idle()
    channel, summary_ts = store.slack_message(stored.id, "summary")

    clicked = socket_end.send("interactive", claim_click(summary, channel, summary_ts, REP))
    socket_end.wait_for_ack(clicked)
    [update] = fake_slack.wait_for("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (channel, summary_ts)
    assert f"Claimed by <@{REP}>" in block_text(update.body["blocks"])
    assert store.get_lead(stored.id).claimed_by == REP

    assert socket_end.acks == [{"envelope_id": dropped}, {"envelope_id": clicked}]
