"""Local stand-in for the OpenAI Chat Completions API.

Lets tests run the real ``openai`` client and ``langchain_openai.ChatOpenAI``
(``base_url=fake.url + "/v1"``) against scripted answers in the wire format
recorded in /work/shared/openai-responses/, including the failure modes that
matter in production: 429 with Retry-After, 5xx, slow answers, refusals,
truncation and malformed JSON content.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .local_service import FakeRequestHandler, LocalService

_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")

_ERROR_TYPES = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    404: ("invalid_request_error", "unknown_url", "Not found."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
}


@dataclass(frozen=True)
class OpenAIRequest:
    """One recorded request; ``body`` is the parsed JSON (None if it was not JSON)."""

    http_method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeResponse:
    """A scripted answer, rendered against the request it ends up answering.

    ``content`` may be a dict/list, which is JSON-encoded (handy for structured
    output). A non-200 ``status`` yields an OpenAI-style error body carrying
    ``error``. ``raw_body`` is sent verbatim instead of anything generated.
    """

    content: str | dict[str, Any] | list[Any] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_body: str | bytes | None = None
    finish_reason: str | None = None
    refusal: str | None = None
    usage: dict[str, int] | None = None
    error: str | None = None

    def render(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"} | self.headers
        if self.raw_body is not None:
            raw = self.raw_body.encode() if isinstance(self.raw_body, str) else self.raw_body
            return self.status, headers, raw
        if self.status != 200:
            return self.status, headers, _error_body(self.status, self.error)
        return 200, headers, json.dumps(self._completion(request)).encode()

    def _completion(self, request: dict[str, Any]) -> dict[str, Any]:
        content = self.content
        if isinstance(content, dict | list):
            content = json.dumps(content)
        message: dict[str, Any] = {"role": "assistant", "content": content}
        tool_calls = [_tool_call(tc) for tc in self.tool_calls or []]
        if tool_calls:
            message["tool_calls"] = tool_calls
        message["refusal"] = self.refusal
        finish_reason = self.finish_reason or ("tool_calls" if tool_calls else "stop")
        generated = (content or "") + (self.refusal or "")
        generated += "".join(tc["function"]["arguments"] for tc in tool_calls)
        usage = self.usage or {
            "prompt_tokens": _prompt_tokens(request),
            "completion_tokens": max(1, len(generated) // 4),
        }
        total = usage.get("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        usage = {**usage, "total_tokens": total}
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", _MODELS[0]),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage | {"completion_tokens_details": {"reasoning_tokens": 0}},
            "system_fingerprint": "fp_fake",
        }


Responder = Callable[[dict[str, Any]], "FakeResponse | dict[str, Any]"]


def _tool_call(spec: dict[str, Any]) -> dict[str, Any]:
    """Accept either the wire shape or the short ``{"name", "arguments"}`` form."""
    function = spec.get("function", spec)
    arguments = function.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return {
        "id": spec.get("id") or f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": function["name"], "arguments": arguments},
    }


def _prompt_tokens(request: dict[str, Any]) -> int:
    chars = 0
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(part.get("text", "")) for part in content)
    return max(1, chars // 4)


def _error_body(status: int, message: str | None) -> bytes:
    default_type = "invalid_request_error" if status < 500 else "server_error"
    err_type, code, default_message = _ERROR_TYPES.get(status, (default_type, None, "Error."))
    return json.dumps(
        {
            "error": {
                "message": message or default_message,
                "type": err_type,
                "param": None,
                "code": code,
            }
        }
    ).encode()


def _fatal(status: int, message: str) -> FakeResponse:
    """A test-setup error the client must not retry, so it surfaces at once."""
    return FakeResponse(status=status, error=message, headers={"x-should-retry": "false"})


class FakeOpenAI(LocalService):
    """Threaded HTTP server answering POST /v1/chat/completions from a script.

    Answers come from the ``enqueue`` queue (FIFO), else from ``responder``; with
    neither, the request fails with a non-retryable 500 naming the problem.
    ``delay`` is added to every answer; requests are served concurrently.
    """

    def __init__(self, *, responder: Responder | None = None, delay: float = 0.0) -> None:
        super().__init__(_Handler)
        self.responder = responder
        self.delay = delay
        self._cond = threading.Condition()
        self._requests: list[OpenAIRequest] = []
        self._queue: deque[FakeResponse] = deque()

    @property
    def url(self) -> str:
        """Server root without trailing slash; clients want ``url + "/v1"``."""
        return self.root_url

    # scripting

    def enqueue(
        self,
        content: str | dict[str, Any] | list[Any] | None = None,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        raw_body: str | bytes | None = None,
        finish_reason: str | None = None,
        refusal: str | None = None,
        usage: dict[str, int] | None = None,
        error: str | None = None,
    ) -> FakeResponse:
        """Script the next answer; ``finish_reason`` defaults to stop/tool_calls."""
        response = FakeResponse(
            content=content,
            tool_calls=tool_calls,
            status=status,
            headers=dict(headers or {}),
            delay=delay,
            raw_body=raw_body,
            finish_reason=finish_reason,
            refusal=refusal,
            usage=usage,
            error=error,
        )
        with self._cond:
            self._queue.append(response)
        return response

    @property
    def pending(self) -> int:
        """Scripted answers not yet consumed; assert 0 to catch unused scripts."""
        with self._cond:
            return len(self._queue)

    # inspection

    @property
    def requests(self) -> list[OpenAIRequest]:
        with self._cond:
            return list(self._requests)

    def clear(self) -> None:
        """Forget recorded requests and unconsumed scripted answers."""
        with self._cond:
            self._requests.clear()
            self._queue.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[OpenAIRequest]:
        """Block until ``count`` requests arrived; return all recorded requests."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} request(s) within {timeout}s; got {len(self._requests)}"
                )
            return list(self._requests)

    # request handling (called from server threads)

    def _handle(
        self, http_method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            body = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        with self._cond:
            self._requests.append(OpenAIRequest(http_method, path, headers, body))
            self._cond.notify_all()
        route = (http_method, path.split("?", 1)[0].rstrip("/"))
        if route == ("GET", "/v1/models"):
            return 200, {"Content-Type": "application/json"}, _models_body()
        if route != ("POST", "/v1/chat/completions"):
            return _fatal(404, f"Invalid URL ({http_method} {path})").render({})
        if not isinstance(body, dict):
            return _fatal(400, "FakeOpenAI: request body is not a JSON object").render({})
        if body.get("stream"):
            return _fatal(400, "FakeOpenAI does not implement streaming").render(body)
        response = self._next_response(body)
        if isinstance(response, dict):
            response = FakeResponse(raw_body=json.dumps(response))
        if wait := self.delay + response.delay:
            self._stopping.wait(wait)
        return response.render(body)

    def _next_response(self, body: dict[str, Any]) -> FakeResponse | dict[str, Any]:
        with self._cond:
            if self._queue:
                return self._queue.popleft()
            number = len(self._requests)
        if self.responder is not None:
            try:
                return self.responder(body)
            except Exception as exc:  # a responder bug must fail the test, not hang it
                return _fatal(500, f"FakeOpenAI responder raised {exc!r}")
        return _fatal(
            500,
            f"FakeOpenAI: no scripted response for request #{number}; "
            "call enqueue() or set responder",
        )


def _models_body() -> bytes:
    models = [
        {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "system"}
        for model in _MODELS
    ]
    return json.dumps({"object": "list", "data": models}).encode()


class _Handler(FakeRequestHandler):
    def _serve(self, http_method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, reply_headers, data = self.server.fake._handle(http_method, self.path, headers, raw)
        try:
            self.send_response(status)
            for name, value in reply_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # client gave up (e.g. its timeout fired)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: pytest output should show test failures, not access logs."""
