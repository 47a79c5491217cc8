"""A local HubSpot CRM API (the v3/v4 routes leadbot's sync uses), driven through the real
`hubspot-api-client`: contacts (by id or `?idProperty=email`), companies (create, search by
one EQ filter), owners (`?email=`), notes with associations, default associations. Every
request is recorded; `fail_next(n)` answers the next n requests with 503."""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .local_service import FakeRequestHandler, LocalService


@dataclass(frozen=True)
class HubSpotCall:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class CrmObject:
    id: str
    properties: dict[str, str]
    associations: list[tuple[str, str]] = field(default_factory=list)  # (type, id)

    def json(self) -> dict:
        return {
            "id": self.id,
            "properties": dict(self.properties),
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
        }


NOW = "2026-01-01T00:00:00Z"
OBJECT = re.compile(r"^/crm/v3/objects/(contacts|companies|notes)(?:/([^/]+))?$")
ASSOCIATE = re.compile(r"^/crm/v4/objects/(\w+)/([^/]+)/associations/default/(\w+)/([^/]+)$")


class FakeHubSpotAPI(LocalService):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self._lock = threading.Lock()
        self._ids = itertools.count(101)
        self.objects: dict[str, dict[str, CrmObject]] = {
            "contacts": {},
            "companies": {},
            "notes": {},
        }
        self.owners: list[dict] = []
        self._calls: list[HubSpotCall] = []
        self._failures = 0

    @property
    def url(self) -> str:
        return self.root_url

    def add_owner(self, owner_id: str, email: str) -> None:
        self.owners.append(
            {"id": owner_id, "email": email, "firstName": "", "lastName": "", "archived": False}
        )

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures = count

    def calls(self, method: str | None = None, prefix: str = "") -> list[HubSpotCall]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and c.path.startswith(prefix)
            ]

    def contact(self, email: str) -> CrmObject | None:
        return next(
            (c for c in self.objects["contacts"].values() if c.properties.get("email") == email),
            None,
        )

    def _handle(self, method: str, target: str, headers: dict, raw: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw) if raw else None
        with self._lock:
            if self._failures:
                self._failures -= 1
                status, answer = 503, _error(503, "Service Unavailable (fake)")
            elif headers.get("authorization") != "Bearer pat-test-token":
                status, answer = 401, _error(401, "Authentication credentials not found.")
            else:
                status, answer = self._route(method, path, query, body)
            self._calls.append(HubSpotCall(method, path, query, headers, body, status))
        return status, answer

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        if method == "GET" and path.rstrip("/") == "/crm/v3/owners":
            found = [o for o in self.owners if o["email"] == query.get("email")]
            return 200, {"results": found}
        if match := ASSOCIATE.match(path):
            source, source_id, target, target_id = match.groups()
            self.objects[source][source_id].associations.append((target, target_id))
            return 200, {"status": "COMPLETE", "results": [], "startedAt": NOW, "completedAt": NOW}
        if method == "POST" and path == "/crm/v3/objects/companies/search":
            [group] = body["filterGroups"]
            [condition] = group["filters"]
            found = [
                c.json()
                for c in self.objects["companies"].values()
                if c.properties.get(condition["propertyName"]) == condition["value"]
            ]
            return 200, {"total": len(found), "results": found[:1]}
        match = OBJECT.match(path)
        if match is None:
            return 404, _error(404, f"no route {method} {path}")
        kind, object_id = match.groups()
        store = self.objects[kind]
        if method == "POST" and object_id is None:
            created = CrmObject(str(next(self._ids)), dict(body.get("properties") or {}))
            for association in body.get("associations") or []:
                target_kind = (
                    "companies"
                    if association["to"]["id"] in self.objects["companies"]
                    else "contacts"
                )
                created.associations.append((target_kind, association["to"]["id"]))
            store[created.id] = created
            return 201, created.json()
        found = self._find(store, object_id, query.get("idProperty"))
        if found is None:
            return 404, _error(404, "resource not found", category="OBJECT_NOT_FOUND")
        if method == "GET":
            return 200, found.json()
        if method == "PATCH":
            found.properties.update(body.get("properties") or {})
            return 200, found.json()
        return 405, _error(405, f"{method} not allowed")

    @staticmethod
    def _find(store: dict[str, CrmObject], key: str, id_property: str | None) -> CrmObject | None:
        if id_property:
            return next((o for o in store.values() if o.properties.get(id_property) == key), None)
        return store.get(key)


def _error(status: int, message: str, category: str = "ERROR") -> dict:
    return {"status": "error", "message": message, "category": category, "correlationId": "c"}


class _Handler(FakeRequestHandler):
    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, http_method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer = self.server.fake._handle(http_method, self.path, headers, raw)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: test output shows failures, not access logs."""
