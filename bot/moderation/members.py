"""What members tell the committee and the bot: a "Report to committee", and feedback on their own nudge."""

from __future__ import annotations

import logging
from typing import Literal

from bot.models import AlertKind, CommitteeAlert, MessageEvent, ScanContext
from bot.moderation.base import ModeratorBase, audience_of, ids_of
from bot.nudges import masked_excerpt, primary_match

log = logging.getLogger(__name__)

FeedbackKind = Literal["fixed", "mistake"]
REPORT_ACTOR = "a member"  # who reported a message, as the audit trail records it: never the reporter's id


class MemberInput(ModeratorBase):
    """Members' reports and feedback."""

    async def report_message(self, reporter_id: str, event: MessageEvent, note: str = "") -> CommitteeAlert:
        """A member's "Report to committee": an alert for the committee.

        The reporter's identity goes only into the operator's log, never into the alert or the database: the
        incident's audit trail reaches the reported member through a subject access request, so it records only
        that "a member" reported the message.
        """
        community = await self._community(event.platform, event.community_id)
        audience = audience_of(event, community)
        verdict = self.scanner.scan(event.text, ScanContext(audience=audience))
        excerpt = masked_excerpt(event.text, verdict.matches, primary_match(verdict.matches),
                                 rules=self.scanner.rule_set.rules)
        incident = await self.store.latest_incident_for_message(event.platform, event.community_id,
                                                                event.message_id)
        incident_ids: tuple[int, ...] = ()
        if incident is not None:
            incident_ids = (incident.id,)
            await self.store.add_event(incident.id, REPORT_ACTOR, "reported by a member")
        log.info("member report", extra={**ids_of(event), "reporter_id": reporter_id,
                                         "incident_id": incident.id if incident else None})
        found = (f" nudgebot's scan found: clause {', '.join(verdict.clauses)}." if verdict.matches
                 else " nudgebot's scan found no breach; please judge it yourselves.")
        said = f" The member's note: \u201c{note.strip()[:300]}\u201d." if note.strip() else ""
        return CommitteeAlert(
            kind=AlertKind.MEMBER_REPORT, platform=event.platform, community_id=event.community_id,
            summary=(f"A member reported a message by {event.author_name or event.author_id}: \u201c{excerpt}\u201d."
                     f"{found}{said}"),
            incident_ids=incident_ids, severity=verdict.severity, channel_id=event.channel_id,
            author_id=event.author_id, permalink=event.permalink)

    async def member_feedback(self, incident_id: int, user_id: str, kind: FeedbackKind, note: str = "") -> bool:
        """The poster says they fixed it or that it was a mistake; False when `user_id` is not the poster.

        "fixed" changes nothing by itself (the edit's rescan confirms a correction); "mistake" is kept for the
        committee's review and the false-positive statistics.
        """
        if kind not in ("fixed", "mistake"):
            raise ValueError(f"feedback kind must be 'fixed' or 'mistake', not {kind!r}")
        incident = await self.store.get_incident(incident_id)
        if incident is None or incident.author_id != user_id:
            log.info("feedback refused: not the incident's author",
                     extra={"incident_id": incident_id, "user_id": user_id})
            return False
        await self.store.add_feedback(incident_id, user_id, kind, note, self.clock())
        return True


