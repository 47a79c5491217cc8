"""HubSpot, natively, through `hubspot-api-client` (a private app's access token).

A claim creates or updates the contact (by e-mail) and its company, makes the claiming rep
(matched by e-mail: Slack users.info, HubSpot owners) the owner, and adds a note with the
qualification summary and its evidence. A disqualification or an outcome sets the contact's
lead status (and lifecycle stage for a win). Every call is idempotent except the note, made
last: a retry after a failure repeats the upserts and adds the note once it succeeds.
Any API error raises `HandoffError`, so the worker retries the work with backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from html import escape

import hubspot
from hubspot.crm import companies, contacts, owners
from hubspot.crm.associations import v4 as associations
from hubspot.crm.companies import PublicObjectSearchRequest
from hubspot.crm.objects import notes
from hubspot.crm.objects.notes import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectInputForCreate,
)
from urllib3.exceptions import HTTPError as TransportError

from bot.crm.events import HandoffError
from bot.domain.lifecycle import OUTCOME_STATUSES, LeadStatus
from bot.domain.work import HandoffEvent, SyncHubSpot
from bot.render.identity import COMPANY_FIELDS, NAME_FIELDS, field_value, lead_email
from bot.services.gateway import DeliveryError, SlackGateway
from bot.store.repository import StoredLead
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import Qualification

logger = logging.getLogger(__name__)

# Each API package of the client has its own exception class.
API_ERRORS = (
    contacts.ApiException,
    companies.ApiException,
    owners.ApiException,
    notes.ApiException,
    associations.ApiException,
    TransportError,
)

# HubSpot-defined association types (v4): a note on a contact, a note on a company.
NOTE_TO_CONTACT = 202
NOTE_TO_COMPANY = 190

# The contact properties each move sets (HubSpot's internal option values).
CLAIMED_PROPERTIES = {"lifecyclestage": "salesqualifiedlead", "hs_lead_status": "IN_PROGRESS"}
DISQUALIFIED_PROPERTIES = {"hs_lead_status": "UNQUALIFIED"}
# A claim's sync that runs after these (it was retried) leaves the status to their own sync.
MOVED_PAST_CLAIM = frozenset({LeadStatus.DISQUALIFIED, *OUTCOME_STATUSES})
OUTCOME_PROPERTIES = {
    "won": {"lifecyclestage": "customer", "hs_lead_status": "CONNECTED"},
    "lost": {"hs_lead_status": "UNQUALIFIED"},
    "no_response": {"hs_lead_status": "ATTEMPTED_TO_CONTACT"},
}
FREE_MAIL = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com"})


def build_client(token: str, api_url: str) -> hubspot.Client:
    """The official client; `host` sends it to HUBSPOT_API_URL (a stand-in in tests)."""
    return hubspot.Client.create(access_token=token, host=api_url.rstrip("/"))


class HubSpotSync:
    def __init__(
        self,
        uow: UnitOfWork,
        gateway: SlackGateway,
        client_factory: Callable[[], hubspot.Client],
    ):
        self.uow = uow
        self.gateway = gateway
        self.client_factory = client_factory

    def sync(self, message: SyncHubSpot, _attempts: int = 1) -> None:
        with self.uow as tx:
            stored = tx.leads.get_lead(message.lead_id)
            qualification = tx.leads.latest_qualification(message.lead_id)
        email = lead_email(stored.lead) if stored else None
        if email is None:
            logger.info("lead %s has no e-mail: nothing to sync to HubSpot", message.lead_id)
            return
        client = self.client_factory()
        try:
            self._sync(client, message, stored, qualification, email)
        except API_ERRORS as exc:
            raise HandoffError(f"HubSpot {message.event.value}: {_reason(exc)}") from exc

    def _sync(
        self,
        client: hubspot.Client,
        message: SyncHubSpot,
        stored: StoredLead,
        qualification: Qualification | None,
        email: str,
    ) -> None:
        if message.event == HandoffEvent.CLAIMED:
            properties = contact_properties(stored, email)
            if stored.status not in MOVED_PAST_CLAIM:  # a late retry never undoes an outcome
                properties.update(CLAIMED_PROPERTIES)
            owner = self._owner_id(client, message.rep)
            if owner:
                properties["hubspot_owner_id"] = owner
            contact_id = upsert_contact(client, email, properties)
            company_id = upsert_company(client, stored, email)
            if company_id:
                client.crm.associations.v4.basic_api.create_default(
                    "contacts", contact_id, "companies", company_id
                )
            add_note(client, note_html(stored, qualification), contact_id, company_id)
        elif message.event == HandoffEvent.DISQUALIFIED:
            upsert_contact(client, email, DISQUALIFIED_PROPERTIES)
        elif message.event == HandoffEvent.OUTCOME and message.outcome in OUTCOME_PROPERTIES:
            upsert_contact(client, email, OUTCOME_PROPERTIES[message.outcome])

    def _owner_id(self, client: hubspot.Client, rep: str | None) -> str | None:
        """The HubSpot owner with the rep's Slack e-mail; None (no owner set) when unknown."""
        if rep is None:
            return None
        try:
            email = self.gateway.user_email(rep)
        except DeliveryError as exc:
            raise HandoffError(f"HubSpot owner for {rep}: {exc}") from exc
        if not email:
            logger.warning("Slack user %s has no e-mail (users:read.email): no owner", rep)
            return None
        owners = client.crm.owners.owners_api.get_page(email=email, limit=1).results or []
        if not owners:
            logger.warning("no HubSpot owner with the e-mail of Slack user %s", rep)
            return None
        return str(owners[0].id)


def contact_properties(stored: StoredLead, email: str) -> dict[str, str]:
    properties = {"email": email}
    name = field_value(stored.lead, NAME_FIELDS)
    if name:
        first, _, last = name.partition(" ")
        properties.update(firstname=first, lastname=last)
    company = field_value(stored.lead, COMPANY_FIELDS)
    if company:
        properties["company"] = company
    return properties


def upsert_contact(client: hubspot.Client, email: str, properties: dict[str, str]) -> str:
    """The contact with `email`, updated with `properties`, or created with them."""
    api = client.crm.contacts.basic_api
    try:
        found = api.get_by_id(email, id_property="email", properties=["email"])
    except contacts.ApiException as exc:
        if exc.status != 404:
            raise
        created = api.create({"properties": {"email": email, **properties}})
        return str(created.id)
    api.update(found.id, {"properties": properties})
    return str(found.id)


def upsert_company(client: hubspot.Client, stored: StoredLead, email: str) -> str | None:
    """The company by the e-mail's domain (or its name for a free-mail address), created
    when HubSpot has none; None when the lead names no company and uses free mail."""
    name = field_value(stored.lead, COMPANY_FIELDS)
    domain = email.rpartition("@")[2]
    key, value = ("domain", domain) if domain not in FREE_MAIL else ("name", name)
    if not value:
        return None
    api = client.crm.companies
    search = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": key, "operator": "EQ", "value": value}]}],
        limit=1,
    )
    found = api.search_api.do_search(search).results or []
    if found:
        return str(found[0].id)
    properties = {key: value, **({"name": name} if name else {})}
    return str(api.basic_api.create({"properties": properties}).id)


def add_note(client: hubspot.Client, body: str, contact_id: str, company_id: str | None) -> None:
    targets = [(contact_id, NOTE_TO_CONTACT)]
    if company_id:
        targets.append((company_id, NOTE_TO_COMPANY))
    associations = [
        PublicAssociationsForObject(
            to=PublicObjectId(id=target),
            types=[
                AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=kind)
            ],
        )
        for target, kind in targets
    ]
    client.crm.objects.notes.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"hs_note_body": body, "hs_timestamp": _now_ms()},
            associations=associations,
        )
    )


def note_html(stored: StoredLead, qualification: Qualification | None) -> str:
    """The qualification summary and each answer's verbatim evidence, as a note body."""
    lines = [f"<p><strong>leadbot lead {stored.id}</strong> ({escape(stored.lead.source)})</p>"]
    if qualification is not None:
        summary = f"Score {qualification.score}, tier {qualification.tier}"
        if qualification.knockout:
            summary += f", knocked out: {qualification.knockout}"
        lines.append(f"<p>{escape(summary)} · rubric {escape(qualification.rubric.name)}</p>")
        items = [
            f"<li>{escape(c.id)}: {escape(str(c.value))} ({c.points}/{c.max_points})"
            + (f" — “{escape(c.evidence)}”" if c.evidence else "")
            + "</li>"
            for c in qualification.criteria
            if c.value is not None
        ]
        if items:
            lines.append("<ul>" + "".join(items) + "</ul>")
        if qualification.missing:
            lines.append(f"<p>Unknown: {escape(', '.join(qualification.missing))}</p>")
    return "".join(lines)


def _now_ms() -> str:
    return str(int(time.time() * 1000))


def _reason(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    body = (getattr(exc, "body", None) or str(exc))[:200]
    return f"{status} {body}" if status else body
