"""Local stand-in for the Slack Web API.

Lets tests point the real ``slack_sdk.WebClient`` (and Bolt apps built on it) at
127.0.0.1 via ``base_url=fake.url``, assert on what was sent, and inject the
failures Slack produces in production (API errors, 5xx, 429, dropped connections,
answers held or lost after the message was stored, the per-channel posting limit).
Posted messages are stored with their metadata and answered by conversations.history
and conversations.replies as Slack answers them (newest first, paged by cursor).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Literal, get_args
from urllib.parse import parse_qs, urlsplit

from .local_service import FakeRequestHandler, LocalService

FailureMode = Literal["error", "http500", "ratelimit", "disconnect"]
AfterStoring = Literal["hold", "lose"]

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T111"

# Fields slack_sdk sends as JSON strings inside form bodies; decoded so tests can
# assert on structure instead of serialised text.
_JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks"}
)


@dataclass(frozen=True)
class SlackCall:
    """One recorded Web API request.

    ``body`` merges query-string and body parameters (slack_sdk sends some methods
    as GET with a query string); ``headers`` keys are lower-cased.
    """

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    http_method: str

    @property
    def token(self) -> str | None:
        """The token the client authenticated with, from the header or the body."""
        auth = self.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        return self.body.get("token")


@dataclass(frozen=True)
class _Failure:
    mode: FailureMode
    error: str
    retry_after: int


@dataclass(frozen=True)
class _AfterStoring:
    mode: AfterStoring
    seconds: float


@dataclass
class _ChannelLimit:
    """Slack's posting limit per channel: `per_second` after a burst of `burst`."""

    per_second: float
    burst: int
    retry_after: int
    next_at: dict[str, float]


@dataclass(frozen=True)
class _Reply:
    status: int
    payload: dict[str, Any] | None  # None means drop the connection
    headers: dict[str, str]


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(params)
    for key in _JSON_FIELDS & decoded.keys():
        value = decoded[key]
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):  # else keep the client's text
                decoded[key] = json.loads(value)
    return decoded


def _flatten(qs: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in qs.items()}


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _flatten(parse_qs(raw.decode(), keep_blank_values=True))
    # multipart (file uploads) and anything else: keep the bytes for inspection
    return {"_raw": raw}


class FakeSlackAPI(LocalService):
    """Threaded HTTP server answering Slack Web API methods with realistic payloads.

    Use as a context manager (or ``start()``/``stop()``); ``url`` is the
    ``base_url`` for ``WebClient``. All public methods are thread-safe.
    """

    def __init__(self, *, delay: float = 0.0) -> None:
        super().__init__(_Handler)
        self._cond = threading.Condition()
        self._calls: list[SlackCall] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._delays: dict[str | None, float] = {None: delay}
        self._seq = itertools.count(1)
        self._last_ts = 0.0
        self._after_storing: deque[_AfterStoring] = deque()
        self._limit: _ChannelLimit | None = None
        self.rate_limited = 0  # chat.postMessage calls answered 429 by the channel limit
        self.post_times: dict[str, list[float]] = defaultdict(list)  # when each was stored
        self._messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._replies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        self._file_infos: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._socket_url: str | None = None
        self._scopes: list[str] | None = None
        self._missing_channels: set[str] = set()
        self._handlers = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._get_permalink,
            "views.open": self._view,
            "views.push": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "files.info": self._files_info,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "usergroups.users.list": self._usergroups_users_list,
        }

    @property
    def url(self) -> str:
        """``base_url`` for ``WebClient``; ends with "/" as slack_sdk expects."""
        return self.root_url + "/api/"

    # inspection

    def calls(self, method: str | None = None) -> list[SlackCall]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted in `channel` so far, as Slack stores them (with their ts)."""
        with self._cond:
            return [dict(message) for message in self._messages[channel]]

    def clear(self) -> None:
        """Forget recorded calls and pending failures; configured data stays."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Block until ``count`` calls to ``method`` arrived; return all of them."""
        with self._cond:
            if not self._cond.wait_for(
                lambda: sum(c.method == method for c in self._calls) >= count, timeout
            ):
                seen = [c.method for c in self._calls]
                raise TimeoutError(
                    f"expected {count} {method} call(s) within {timeout}s; recorded: {seen}"
                )
            return [c for c in self._calls if c.method == method]

    # scripting

    def fail_next(
        self,
        method: str,
        times: int = 1,
        mode: FailureMode = "error",
        retry_after: int = 1,
        error: str = "internal_error",
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        "error": HTTP 200 ``{"ok": false, "error": error}``; "http500": HTTP 500;
        "ratelimit": HTTP 429 with ``Retry-After: retry_after`` (slack_sdk needs
        an int); "disconnect": the connection is closed without a response.
        """
        if mode not in get_args(FailureMode):
            raise ValueError(f"unknown failure mode {mode!r}")
        with self._cond:
            self._failures[method].extend([_Failure(mode, error, retry_after)] * times)

    def after_storing(self, mode: AfterStoring, *, times: int = 1, seconds: float = 0.0) -> None:
        """The next ``times`` chat.postMessage calls store their message, then "hold": answer
        only after ``seconds`` (a client with a shorter timeout gives up), or "lose": close
        the connection without an answer. Either way Slack has the message."""
        with self._cond:
            self._after_storing.extend([_AfterStoring(mode, seconds)] * times)

    def limit_channels(self, per_second: float = 1.0, burst: int = 4, retry_after: int = 1) -> None:
        """Emulate Slack's per-channel limit on chat.postMessage: past it, HTTP 429."""
        with self._cond:
            self._limit = _ChannelLimit(per_second, burst, retry_after, {})

    def doubled(self) -> int:
        """Messages stored more than once under the same metadata key."""
        with self._cond:
            keys = [
                m["metadata"]["event_payload"].get("key")
                for messages in self._messages.values()
                for m in messages
                if isinstance(m.get("metadata"), dict)
            ]
        return len(keys) - len(set(keys))

    def set_delay(self, seconds: float, method: str | None = None) -> None:
        """Add latency before answering ``method`` (or every method when None)."""
        with self._cond:
            self._delays[method] = seconds

    def set_user(self, user_id: str, **fields: Any) -> None:
        """Override users.info fields; ``profile`` is merged, ``real_name`` mirrored."""
        with self._cond:
            user = self._users.setdefault(user_id, _default_user(user_id))
            profile = fields.pop("profile", {})
            user.update(fields)
            user["profile"].update(profile)
            if "real_name" in fields:
                user["profile"]["real_name"] = fields["real_name"]

    def set_channel(self, channel_id: str, **fields: Any) -> None:
        """Override conversations.info fields for ``channel_id``."""
        with self._cond:
            self._channels.setdefault(channel_id, _default_channel(channel_id)).update(fields)

    def set_scopes(self, scopes: list[str] | set[str]) -> None:
        """Send ``x-oauth-scopes: <scopes, comma-separated>`` with every answer, as Slack
        does for calls made with a token (none is sent until this is called)."""
        with self._cond:
            self._scopes = sorted(scopes)

    def remove_channel(self, channel_id: str) -> None:
        """conversations.info answers channel_not_found for ``channel_id``, as Slack does for
        an unknown id or a private channel the bot is not in."""
        with self._cond:
            self._missing_channels.add(channel_id)

    def set_replies(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """Script conversations.replies; otherwise it returns messages posted here."""
        with self._cond:
            self._replies[(channel, thread_ts)] = list(messages)

    def set_file(
        self, path: str, content: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        """Serve ``content`` at ``path`` (e.g. "/files-pri/T111-F1/download/leads.csv") as
        files.slack.com serves a ``url_private_download``; returns its URL. Each download
        is recorded as a call of method "file_download" with its ``path``."""
        with self._cond:
            self._files[path] = (content, content_type)
        return self.url.removesuffix("/api/") + path

    def set_file_info(self, file_id: str, **fields: Any) -> None:
        """Answer files.info for ``file_id`` with these fields (else ``file_not_found``)."""
        with self._cond:
            self._file_infos[file_id] = {"id": file_id, **fields}

    def set_usergroup(self, usergroup_id: str, users: list[str]) -> None:
        """The members usergroups.users.list answers for a user group."""
        with self._cond:
            self._usergroups[usergroup_id] = list(users)

    def set_socket_url(self, url: str) -> None:
        """Answer apps.connections.open with ``url``: a local WebSocket server playing
        Slack's Socket Mode end (e.g. "ws://127.0.0.1:PORT/link/?ticket=t")."""
        with self._cond:
            self._socket_url = url

    def _file(self, path: str, headers: dict[str, str]) -> tuple[bytes, str] | None:
        with self._cond:
            content = self._files.get(path)
            if content is not None:
                self._calls.append(SlackCall("file_download", {"path": path}, headers, "GET"))
                self._cond.notify_all()
            return content

    # request handling (called from server threads)

    def _handle(self, http_method: str, path: str, headers: dict[str, str], raw: bytes) -> _Reply:
        split = urlsplit(path)
        method = split.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            body = _parse_body(headers.get("content-type", ""), raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {"_raw": raw}
        body = _decode_json_fields(_flatten(parse_qs(split.query)) | body)
        with self._cond:
            self._calls.append(SlackCall(method, body, headers, http_method))
            self._cond.notify_all()
            delay = self._delays.get(method, self._delays[None])
            pending = self._failures.get(method)
            failure = pending.popleft() if pending else None
        if delay:
            self._stopping.wait(delay)
        if failure is not None:
            return _failure_reply(failure)
        handler = self._handlers.get(method)
        with self._cond:
            if method == "chat.postMessage" and self._over_limit(body.get("channel", "")):
                self.rate_limited += 1
                retry_after = self._limit.retry_after
                return _Reply(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
                )
            payload = handler(body) if handler else {"ok": True}
            scopes = self._scopes
            after = None
            if method == "chat.postMessage" and self._after_storing:
                after = self._after_storing.popleft()
        headers = {} if scopes is None else {"x-oauth-scopes": ",".join(scopes)}
        if after is not None:
            if after.mode == "lose":
                return _Reply(0, None, {})
            self._stopping.wait(after.seconds)
        return _Reply(200, payload, headers)

    def _over_limit(self, channel: str) -> bool:
        """GCRA, as Slack's limit behaves: a burst, then `per_second`."""
        if self._limit is None:
            return False
        now, interval = time.monotonic(), 1.0 / self._limit.per_second
        next_at = max(self._limit.next_at.get(channel, now), now)
        if next_at - now > (self._limit.burst - 1) * interval:
            return True
        self._limit.next_at[channel] = next_at + interval
        return False

    def _next_ts(self) -> str:
        """Slack's ts: the time it stored the message, unique per message."""
        self._last_ts = max(time.time(), self._last_ts + 0.000_001)
        return f"{self._last_ts:.6f}"

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://example.slack.com/",
            "team": "Example",
            "user": "leadbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _connections_open(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._socket_url is None:
            return {"ok": False, "error": "socket_url_not_set"}  # call set_socket_url first
        return {"ok": True, "url": self._socket_url}

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        channel = body.get("channel", "")
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "team": TEAM_ID,
            "text": body.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata", "reply_broadcast"):
            if key in body:
                message[key] = body[key]
        self._messages[channel].append(message)
        self.post_times[channel].append(time.monotonic())
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = body.get("channel", ""), body.get("ts", "")
        changes = {k: body[k] for k in ("text", "blocks", "attachments") if k in body}
        for message in self._messages[channel]:
            if message["ts"] == ts:
                message.update(changes)
        text = body.get("text", "")
        return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": changes}

    def _post_ephemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _get_permalink(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        ts = str(body.get("message_ts", "")).replace(".", "")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://example.slack.com/archives/{channel}/p{ts}",
        }

    def _view(self, body: dict[str, Any]) -> dict[str, Any]:
        submitted = body.get("view")
        submitted = submitted if isinstance(submitted, dict) else {}
        view_id = body.get("view_id") or f"V{next(self._seq):010d}"
        view = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": submitted.get("type", "modal"),
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": body.get("external_id", ""),
            "state": {"values": {}},
            "hash": self._next_ts(),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": "A111",
            "bot_id": BOT_ID,
        } | submitted
        return {"ok": True, "view": view}

    def _users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user_id = body.get("user", "")
        return {"ok": True, "user": self._users.get(user_id) or _default_user(user_id)}

    def _usergroups_users_list(self, body: dict[str, Any]) -> dict[str, Any]:
        usergroup = body.get("usergroup", "")
        if usergroup not in self._usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self._usergroups[usergroup]}

    def _conversations_info(self, body: dict[str, Any]) -> dict[str, Any]:
        channel_id = body.get("channel", "")
        if channel_id in self._missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": self._channels.get(channel_id) or _default_channel(channel_id),
        }

    def _files_info(self, body: dict[str, Any]) -> dict[str, Any]:
        info = self._file_infos.get(body.get("file", ""))
        if info is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": info, "comments": [], "response_metadata": {"next_cursor": ""}}

    def _conversations_replies(self, body: dict[str, Any]) -> dict[str, Any]:
        """A thread's messages, oldest first. The parent is often a person's message this
        fake never stored: then only the bot's replies come back, perhaps none."""
        channel, ts = body.get("channel", ""), body.get("ts", "")
        messages = self._replies.get((channel, ts))
        if messages is None:
            messages = [m for m in self._messages[channel] if ts in (m["ts"], m.get("thread_ts"))]
        return _page(sorted(messages, key=lambda m: float(m["ts"])), body)

    def _conversations_history(self, body: dict[str, Any]) -> dict[str, Any]:
        """The channel's top-level messages (and broadcast replies), newest first."""
        messages = [
            m
            for m in self._messages[body.get("channel", "")]
            if "thread_ts" not in m or m.get("reply_broadcast")
        ]
        return _page(sorted(messages, key=lambda m: float(m["ts"]), reverse=True), body)

    def _conversations_open(self, body: dict[str, Any]) -> dict[str, Any]:
        """The DM with a user: here its id is the user's, as chat.postMessage answers."""
        return {"ok": True, "channel": {"id": body.get("users", "")}}


def _page(messages: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """One page of messages after `oldest` (and before `latest`), `limit` long, with the
    next page's cursor; metadata only with include_all_metadata, as Slack does."""
    oldest, latest = float(body.get("oldest") or 0), float(body.get("latest") or "inf")
    messages = [m for m in messages if oldest < float(m["ts"]) <= latest]
    start = int(body.get("cursor") or 0)
    limit = int(body.get("limit") or 100)
    page = messages[start : start + limit]
    if str(body.get("include_all_metadata")).lower() not in ("true", "1"):
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    more = start + limit < len(messages)
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def _default_user(user_id: str) -> dict[str, Any]:
    name = user_id.lower()
    real_name = f"User {user_id}"
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": real_name,
        "deleted": False,
        "is_bot": False,
        "tz": "America/Los_Angeles",
        "profile": {
            "real_name": real_name,
            "display_name": name,
            "email": f"{name}@example.com",
            "title": "",
        },
    }


def _default_channel(channel_id: str) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": f"channel-{channel_id.lower()}",
        "is_channel": True,
        "is_private": False,
        "is_im": False,
        "is_archived": False,
        "is_member": True,
        "created": 1_700_000_000,
        "topic": {"value": ""},
        "purpose": {"value": ""},
    }


def _failure_reply(failure: _Failure) -> _Reply:
    match failure.mode:
        case "error":
            return _Reply(200, {"ok": False, "error": failure.error}, {})
        case "http500":
            return _Reply(500, {"ok": False, "error": failure.error}, {})
        case "ratelimit":
            return _Reply(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(failure.retry_after)},
            )
        case "disconnect":
            return _Reply(0, None, {})


class _Handler(FakeRequestHandler):
    def _serve(self, http_method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        file = self.server.fake._file(self.path, headers) if http_method == "GET" else None
        if file is not None:
            content, content_type = file
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            return
        reply = self.server.fake._handle(http_method, self.path, headers, raw)
        if reply.payload is None:
            self.close_connection = True
            return
        data = json.dumps(reply.payload).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # client gave up (e.g. its timeout fired)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: pytest output should show test failures, not access logs."""
