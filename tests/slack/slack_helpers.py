"""Slack's side of the tests: signed requests built from the payloads in payloads/ (Slack's
wire shapes, checked against Slack's own fixtures by test_slack_payload_shapes.py), and
readers for what the app sent to FakeSlackAPI."""

from __future__ import annotations

import copy
import itertools
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlencode

from slack_sdk.signature import SignatureVerifier

from bot.domain.lifecycle import Outcome
from bot.render import summary as _summary

PAYLOADS = Path(__file__).resolve().parent / "payloads"
SIGNING_SECRET = "test-signing-secret"
INTAKE = "CINTAKE"
SALES = "CSALES"
MARKETER = "UMKT"
MANAGER = "UMGR"
ROUTED_CHANNEL = "CWARM"  # the test rubric routes warm leads here
HOT_CHANNEL = "CHOT"  # ... and hot leads here; cold ones go to SALES

WARM_LEAD = (  # hot or warm, depending on how much the offline rules read in it
    "met at booth day 2 - Dana Whitfield, CFO @ Globex Freight, ~300 ppl, 50k budget.\n"
    "pain: AP approvals stuck in email. wants demo + decision next month."
)
COLD_LEAD = "Bob from Initech wants to fix their reporting."
CLAIMED_ACTIONS = [  # the buttons of a claimed lead's summary
    *(_summary.ACTION_OUTCOMES[outcome] for outcome in Outcome),
    _summary.ACTION_RELEASE,
    _summary.ACTION_DISQUALIFY,
]


def load_payload(relative: str) -> dict:
    """A fresh copy of payloads/<relative>, e.g. "events/event_callback_message_channel.json"."""
    return json.loads((PAYLOADS / relative).read_text(encoding="utf-8"))


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]


class SlackSide:
    """Sends what Slack would send, signed like Slack signs it."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET):
        self.url = url
        self.verifier = SignatureVerifier(secret)
        self._ids = itertools.count(1)

    def next_ts(self) -> str:
        return f"1700000{next(self._ids):03d}.000100"

    def post(
        self,
        body: str,
        content_type: str,
        *,
        extra_headers: dict | None = None,
        signature: str | None = None,
    ) -> Reply:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature
            or self.verifier.generate_signature(timestamp=timestamp, body=body),
            **(extra_headers or {}),
        }
        request = urllib.request.Request(
            self.url + "/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), dict(error.headers))

    def event(self, event: dict, *, event_id: str | None = None, retry_num: int | None = None):
        body = load_payload("events/event_callback_message_channel.json")
        body["event"] = event
        body["event_id"] = event_id or f"Ev{next(self._ids):06d}"
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(
            json.dumps(body), "application/json", extra_headers=headers if retry_num else None
        )

    def message_event(self, text: str, *, channel: str = INTAKE, user: str = MARKETER, **fields):
        event = copy.deepcopy(load_payload("events/event_callback_message_channel.json")["event"])
        ts = fields.pop("ts", None) or self.next_ts()
        event.update(text=text, channel=channel, user=user, ts=ts, event_ts=ts)
        event["blocks"][0]["elements"][0]["elements"][0]["text"] = text
        event.update(fields)
        return event

    def interaction(self, payload: dict) -> Reply:
        return self.post(
            f"payload={quote(json.dumps(payload))}", "application/x-www-form-urlencoded"
        )

    def click(self, action_id: str, lead_id: int | str, user: str, channel: str, ts: str):
        """A click on a button of the lead summary at channel/ts."""
        payload = load_payload("interactivity/block_actions_button_with_message.json")
        payload["user"] = {"id": user}
        payload["container"].update(channel_id=channel, message_ts=ts)
        payload["channel"] = {"id": channel}
        payload["message"]["ts"] = ts
        payload["actions"] = [
            {
                "action_id": action_id,
                "block_id": "lead_actions",
                "text": {"type": "plain_text", "text": action_id},
                "value": str(lead_id),
                "type": "button",
                "action_ts": self.next_ts(),
            }
        ]
        return self.interaction(payload)

    def command(self, command: str, text: str = "", *, user: str = MARKETER) -> Reply:
        fields = load_payload("commands/slash_command.form_fields.json")
        fields.update(command=command, text=text, user_id=user, channel_id=INTAKE)
        return self.post(urlencode(fields), "application/x-www-form-urlencoded")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int | None = None) -> list[str]:
    """`leadbot serve` on 127.0.0.1, as the installed console script a user runs."""
    leadbot = str(Path(sys.executable).with_name("leadbot"))
    return [leadbot, "serve", "--host", "127.0.0.1", "--port", str(port or free_port())]


def serve_environment(fake_slack, database: Path) -> dict[str, str]:
    """What a user sets to serve, in the environment (where Bolt reads SLACK_BOT_TOKEN too),
    pointed at `fake_slack`; nothing of the test run's own SLACK_/LEADBOT_/OPENAI_ settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADBOT_", "OPENAI_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        LEADBOT_INTAKE_CHANNELS=INTAKE,
        LEADBOT_SALES_CHANNEL=SALES,
        LEADBOT_DATABASE_URL=f"sqlite:///{database}",
        LEADBOT_MODEL="offline",
    )
    return env


def summaries(fake_slack, channel: str | None = None) -> list:
    """Top-level chat.postMessage calls with blocks: lead summaries."""
    return [
        call
        for call in fake_slack.calls("chat.postMessage")
        if "blocks" in call.body
        and "thread_ts" not in call.body
        and (channel is None or call.body["channel"] == channel)
    ]


def thread_replies(fake_slack, channel: str, thread_ts: str) -> list[str]:
    return [
        call.body["text"]
        for call in fake_slack.calls("chat.postMessage")
        if call.body.get("channel") == channel and call.body.get("thread_ts") == thread_ts
    ]


def block_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@dataclass
class PostedLead:
    id: int
    channel: str
    ts: str
    intake_ts: str


def drop_lead(slack: SlackSide, leadbot, repo, text: str = WARM_LEAD) -> PostedLead:
    """A marketer drops a lead in the intake channel; returns it once its summary is posted."""
    event = slack.message_event(text)
    assert slack.event(event).status == 200
    leadbot.worker.wait_until_idle()
    stored = repo.find_by_intake(INTAKE, event["ts"])
    channel, ts = repo.slack_message(stored.id, "summary")
    return PostedLead(stored.id, channel, ts, event["ts"])


def view_submission(callback_id: str, values: dict, *, user: str, metadata: str = "") -> dict:
    """A modal submission; `values` maps block_id -> action_id -> text typed."""
    payload = load_payload("interactivity/view_submission.json")
    payload["user"]["id"] = user
    view = payload["view"]
    view.update(callback_id=callback_id, private_metadata=metadata, id=f"V{time.time_ns()}")
    view["state"]["values"] = {
        block_id: {
            action_id: {"type": "plain_text_input", "value": text}
            for action_id, text in actions.items()
        }
        for block_id, actions in values.items()
    }
    return payload


class FileHost:
    """A files.slack.com stand-in for one download: answers `status` with `content` (and a
    redirect elsewhere for 3xx), recording the Authorization header each request carried."""

    def __init__(self, *, content: bytes = b"", status: int = 200, path: str = "a.csv"):
        self.content = content
        self.status = status
        self.path = path
        self.authorizations: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.authorizations.append(self.headers.get("Authorization", ""))
                self.send_response(host.status)
                if 300 <= host.status < 400:
                    self.send_header("Location", "http://127.0.0.2:9/steal")
                body = host.content if host.status == 200 else b""
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}/files-pri/T111-F1/{self.path}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def process_env(slack_api_url: str, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `leadbot` subprocess: no outside settings, the fake Slack, the
    offline qualifier, the intake and sales channels, and `settings` on top."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "LEADBOT_", "OPENAI_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        LEADBOT_INTAKE_CHANNELS=INTAKE,
        LEADBOT_SALES_CHANNEL=SALES,
        LEADBOT_DATABASE_URL=database_url,
        LEADBOT_MODEL="offline",
        **settings,
    )
    return env
