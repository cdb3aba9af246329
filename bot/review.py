"""The committee's review service: list, show, transition, export and statistics, for committee principals only.

Adapters (Discord cogs, Slack commands, the CLI) call these with the acting member as a `Principal` they
established on the server side. Every call checks `is_committee` first and scopes every query to the principal's
own community, so a member of one community can never see another's incidents. The machine's operator (the CLI)
is the one principal allowed across communities: `operator_principal()` builds it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, Literal

from bot.detection.clauses import Clause, PolicyBook
from bot.errors import InputError, NotCommittee, ReviewError, UnknownIncident
from bot.models import (
    Community,
    DeliveryStatus,
    Incident,
    IncidentEvent,
    IncidentQuery,
    IncidentStats,
    IncidentStatus,
    Platform,
    Principal,
    ReviewAction,
)
from bot.store import HELD_REASON, Store

log = logging.getLogger(__name__)

ALL_COMMUNITIES = "*"  # only operator_principal() uses it: Discord and Slack ids never look like this
NOTE_MAX = 1_000
EXPORT_PAGE = 1_000

S = IncidentStatus
TRANSITIONS: dict[ReviewAction, tuple[IncidentStatus, frozenset[IncidentStatus]]] = {
    # action: (status it leads to, statuses it may be taken from)
    # Confirming one held for review (S.REVIEW) also releases its nudge: see CommitteeReview.decide.
    ReviewAction.CONFIRM: (S.CONFIRMED, frozenset({S.OPEN, S.REVIEW, S.ESCALATED, S.CORRECTED})),
    ReviewAction.DISMISS: (S.DISMISSED, frozenset({S.OPEN, S.REVIEW, S.CONFIRMED, S.ESCALATED, S.CORRECTED})),
    ReviewAction.ESCALATE: (S.ESCALATED, frozenset({S.OPEN, S.REVIEW, S.CONFIRMED, S.CORRECTED})),
    ReviewAction.RESOLVE: (S.RESOLVED, frozenset({S.OPEN, S.CONFIRMED, S.ESCALATED, S.CORRECTED})),
    ReviewAction.REOPEN: (S.OPEN, frozenset({S.CONFIRMED, S.DISMISSED, S.ESCALATED, S.RESOLVED, S.CORRECTED})),
}

EXPORT_COLUMNS = ("id", "platform", "community_id", "channel_id", "message_id", "revision", "created_at",
                  "author_id", "author_name", "targets", "clauses", "rules", "severity", "status",
                  "delivery_status", "delivery_reason", "excerpt", "content", "permalink", "tier")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a committee may set up for its community: every setting but the community's own identity.
SETTABLE = frozenset(f.name for f in fields(Community)) - {"platform", "community_id"}


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def operator_principal(user_id: str = "operator") -> Principal:
    """The machine's operator (the `nudgebot incidents` CLI): committee in every community on every platform."""
    return Principal(platform=Platform.AUDIT, community_id=ALL_COMMUNITIES, user_id=user_id,
                     display_name="operator", is_committee=True)


def is_operator(principal: Principal) -> bool:
    """True for the cross-community operator principal."""
    return principal.is_committee and principal.community_id == ALL_COMMUNITIES


def require_committee(principal: Principal, action: str) -> None:
    """The committee check every committee action goes through (review, setup): NotCommittee, logged, unless the
    principal is on the committee of its community (or is the operator)."""
    if not principal.is_committee:
        log.info("committee action refused", extra={"action": action, "user_id": principal.user_id,
                                                    "platform": principal.platform.value,
                                                    "community_id": principal.community_id})
        raise NotCommittee(action)


def still_held(incident: Incident) -> bool:
    """True for an incident that was held for review and whose nudge was never released (nobody was nudged)."""
    return incident.delivery_status is DeliveryStatus.SUPPRESSED and incident.delivery_reason == HELD_REASON


def allowed_actions(status: IncidentStatus) -> list[ReviewAction]:
    """The review actions that can be taken from a status, in menu order."""
    return [action for action, (_, sources) in TRANSITIONS.items() if status in sources]


def incident_to_dict(incident: Incident) -> dict[str, Any]:
    """An incident as plain JSON-ready data (exports, `--json`, subject access)."""
    return {
        "id": incident.id, "platform": incident.platform.value, "community_id": incident.community_id,
        "channel_id": incident.channel_id, "message_id": incident.message_id, "revision": incident.revision,
        "created_at": incident.created_at.isoformat(), "author_id": incident.author_id,
        "author_name": incident.author_name, "targets": list(incident.targets), "clauses": list(incident.clauses),
        "rules": list(incident.rules), "severity": incident.severity.value, "status": incident.status.value,
        "delivery_status": incident.delivery_status.value, "delivery_reason": incident.delivery_reason,
        "excerpt": incident.excerpt, "content": incident.content, "permalink": incident.permalink,
        "tier": incident.tier.value,
    }


def event_to_dict(event: IncidentEvent) -> dict[str, Any]:
    """An audit event as plain JSON-ready data."""
    return {"incident_id": event.incident_id, "actor_id": event.actor_id, "action": event.action,
            "note": event.note, "created_at": event.created_at.isoformat()}


def spreadsheet_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection: prefix with a quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    """What `show` returns: the incident, its audit trail, its clauses' text and what can be done next."""

    incident: Incident
    events: tuple[IncidentEvent, ...]
    clauses: tuple[Clause, ...] = ()
    actions: tuple[ReviewAction, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"incident": incident_to_dict(self.incident), "events": [event_to_dict(e) for e in self.events],
                "clauses": [{"id": c.id, "heading": c.heading, "summary": c.summary} for c in self.clauses],
                "actions": [a.value for a in self.actions]}


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """An incident after a committee decision; `from_review` when it was held for review until this decision.

    A confirmed one from review has its nudge pending now (unless it was never to be sent: an audit, a
    record-only community); the adapter sends it through its usual delivery path, and escalation (4.3) counts it.
    """

    incident: Incident
    from_review: bool = False


class CommitteeReview:
    """Review service for committee members; every method takes the acting principal and checks it."""

    def __init__(self, store: Store, policy: PolicyBook | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    @staticmethod
    def _require(principal: Principal, action: str) -> None:
        require_committee(principal, action)

    @staticmethod
    def _scoped(principal: Principal, query: IncidentQuery) -> IncidentQuery:
        """The query limited to the principal's community (the operator's own filters stand)."""
        if is_operator(principal):
            return query
        return replace(query, platform=principal.platform, community_id=principal.community_id)

    @staticmethod
    def _visible(principal: Principal, incident: Incident | None) -> bool:
        if incident is None:
            return False
        return is_operator(principal) or (incident.platform == principal.platform
                                          and incident.community_id == principal.community_id)

    async def _incident(self, principal: Principal, incident_id: int) -> Incident:
        incident = await self.store.get_incident(incident_id)
        if not self._visible(principal, incident) or incident is None:
            # The same answer for "no such id" and "another community's": nothing is revealed.
            raise UnknownIncident(incident_id)
        return incident

    async def list(self, principal: Principal, query: IncidentQuery | None = None) -> list[Incident]:
        """One page of incidents in the principal's community, newest first, filtered."""
        self._require(principal, "the incident list")
        return await self.store.list_incidents(self._scoped(principal, query or IncidentQuery()))

    async def count(self, principal: Principal, query: IncidentQuery | None = None) -> int:
        """How many incidents match the filters in the principal's community (for paging)."""
        self._require(principal, "the incident list")
        return await self.store.count_incidents(self._scoped(principal, query or IncidentQuery()))

    async def show(self, principal: Principal, incident_id: int) -> IncidentDetail:
        """One incident with its audit trail, the clauses it touches and the actions open to the committee."""
        self._require(principal, "incident details")
        incident = await self._incident(principal, incident_id)
        clauses: tuple[Clause, ...] = ()
        if self.policy is not None:
            clauses = tuple(c for c in (self.policy.get(cid) for cid in incident.clauses) if c is not None)
        return IncidentDetail(incident=incident, events=tuple(await self.store.events(incident_id)),
                              clauses=clauses, actions=tuple(allowed_actions(incident.status)))

    async def transition(self, principal: Principal, incident_id: int, action: ReviewAction | str,
                         note: str = "") -> Incident:
        """Confirm, dismiss, escalate, resolve or reopen an incident with a note; the audit trail names the actor."""
        return (await self.decide(principal, incident_id, action, note)).incident

    async def decide(self, principal: Principal, incident_id: int, action: ReviewAction | str,
                     note: str = "") -> ReviewOutcome:
        """As `transition`, saying too whether the incident came out of review (its nudge released on confirm)."""
        self._require(principal, "incident review")
        try:
            action = ReviewAction(action)
        except ValueError:
            raise InputError(f"unknown review action {action!r}: use one of "
                             f"{', '.join(a.value for a in ReviewAction)}") from None
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise InputError(f"the note is {len(note)} characters; keep it under {NOTE_MAX}")
        incident = await self._incident(principal, incident_id)
        target, sources = TRANSITIONS[action]
        if incident.status not in sources:
            raise self._refusal(incident, action)
        if action is ReviewAction.REOPEN and still_held(incident):
            target = S.REVIEW  # never nudged: reopened, it waits in the review queue again, not as an open breach
        # Only from the status read above: a confirmation must not release a nudge it did not see held.
        from_review = incident.status is S.REVIEW
        changed = await self.store.set_status(incident_id, target, principal.user_id, action.value, note,
                                              expected=({S.REVIEW} if from_review else sources),
                                              release_held_nudge=from_review and action is ReviewAction.CONFIRM)
        if changed is None:  # someone else moved it between our read and our write
            current = await self._incident(principal, incident_id)
            raise self._refusal(current, action)
        log.info("incident reviewed", extra={"incident_id": incident_id, "action": action.value,
                                             "actor_id": principal.user_id, "from_review": from_review})
        return ReviewOutcome(changed, from_review=from_review)

    @staticmethod
    def _refusal(incident: Incident, action: ReviewAction) -> ReviewError:
        possible = ", ".join(a.value for a in allowed_actions(incident.status)) or "nothing"
        return ReviewError(f"cannot {action.value} incident #{incident.id}: it is {incident.status.value}; "
                           f"from there you can: {possible}")

    async def export(self, principal: Principal, query: IncidentQuery | None = None,
                     fmt: Literal["csv", "json"] | str = "csv") -> bytes:
        """Every incident matching the filters (limit and offset ignored) as CSV or JSON bytes (UTF-8)."""
        self._require(principal, "incident export")
        if fmt not in ("csv", "json"):
            raise InputError(f"export format {fmt!r} is not csv or json")
        scoped = self._scoped(principal, query or IncidentQuery())
        incidents: list[Incident] = []
        offset = 0
        while True:
            page = await self.store.list_incidents(replace(scoped, limit=EXPORT_PAGE, offset=offset))
            incidents.extend(page)
            if len(page) < EXPORT_PAGE:
                break
            offset += EXPORT_PAGE
        log.info("incidents exported", extra={"actor_id": principal.user_id, "count": len(incidents),
                                              "format": fmt})
        if fmt == "json":
            document = {"exported_at": self.clock().isoformat(), "count": len(incidents),
                        "incidents": [incident_to_dict(i) for i in incidents]}
            return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for incident in incidents:
            row = incident_to_dict(incident)
            writer.writerow([spreadsheet_safe(";".join(row[c]) if isinstance(row[c], list) else row[c])
                             for c in EXPORT_COLUMNS])
        return buffer.getvalue().encode("utf-8")

    async def stats(self, principal: Principal, since: datetime | None = None, until: datetime | None = None,
                    *, platform: Platform | None = None, community_id: str | None = None) -> IncidentStats:
        """Statistics for the principal's community; `platform`/`community_id` narrow only the operator's view."""
        self._require(principal, "incident statistics")
        if not is_operator(principal):
            platform, community_id = principal.platform, principal.community_id
        return await self.store.stats(platform, community_id, since, until)

    # -- the community's settings --------------------------------------------------------------------------

    async def community(self, platform: Platform, community_id: str) -> Community:
        """A community's settings as saved (defaults when never set up). Adapters read it to know who the
        committee is before there is a principal; it names no incident and changes nothing."""
        return await self.store.get_community(platform, community_id)

    async def settings(self, principal: Principal, *, platform: Platform | None = None,
                       community_id: str | None = None) -> Community:
        """The settings of the principal's own community, for its committee (`/nudgebot setup` with nothing to
        change); only the operator names another community."""
        self._require(principal, "the community settings")
        if not is_operator(principal):
            platform, community_id = principal.platform, principal.community_id
        elif platform is None or community_id is None:
            raise InputError("name the platform and the community whose settings to show")
        return await self.store.get_community(platform, community_id)

    async def save_settings(self, principal: Principal, changes: Mapping[str, Any], *,
                            platform: Platform | None = None, community_id: str | None = None) -> Community:
        """Change the given settings of the principal's own community (the others stay) and return them as saved.

        Committee only (`/nudgebot setup`, the Slack setup command); only the operator (the CLI) names another
        community, with `platform` and `community_id`.
        """
        self._require(principal, "community setup")
        if not is_operator(principal):
            platform, community_id = principal.platform, principal.community_id
        elif platform is None or community_id is None:
            raise InputError("name the platform and the community whose settings to change")
        unknown = sorted(set(changes) - SETTABLE)
        if unknown:
            raise InputError(f"not a community setting: {', '.join(unknown)}; settings are "
                             f"{', '.join(sorted(SETTABLE))}")
        updated = replace(await self.store.get_community(platform, community_id), **changes)
        await self.store.save_community(updated, self.clock())
        log.info("community settings saved", extra={"platform": platform.value, "community_id": community_id,
                                                    "actor_id": principal.user_id, "changed": sorted(changes)})
        return updated
