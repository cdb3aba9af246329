"""Claims on the nudges being sent right now, so the live path and the outbox never send one nudge twice."""

from __future__ import annotations

from enum import Enum


class NotSent(Enum):
    """Why an adapter did not send a nudge it was asked to send."""

    BUSY = "busy"  # another sender (live path or outbox) holds the claim and is sending it right now
    SETTLED = "settled"  # it no longer awaits delivery (reported already), or the store cannot say so right now
    UNREACHABLE = "unreachable"  # the platform could not be reached or failed: it stays in the outbox


class DeliveryClaims:
    """The incidents whose nudge is being sent right now, by the live path or the outbox.

    A sender claims an incident before sending its nudge and releases it, in a `finally`, once the delivery
    result has been reported to the moderator (recorded in the store, or held in memory while the database
    fails). Between claiming and sending it takes the database's claim (`Moderator.claim_delivery`, which holds
    only while the nudge awaits delivery), so a sender that comes later (an outbox iterating an old snapshot, or
    another process) sees the nudge is settled or taken and does not send it again. The set only
    ever holds the sends in flight, so it stays small however long the bot runs.
    """

    def __init__(self) -> None:
        self._claimed: set[int] = set()

    def claim(self, incident_id: int) -> bool:
        """Take the claim on an incident's nudge; False when another sender holds it.

        Synchronous on purpose: with no await between the check and the add, no other task can claim in between.
        """
        if incident_id in self._claimed:
            return False
        self._claimed.add(incident_id)
        return True

    def release(self, incident_id: int) -> None:
        """Give the claim back (after the delivery result was reported, or when the nudge was not sent)."""
        self._claimed.discard(incident_id)

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self._claimed

    def __len__(self) -> int:
        return len(self._claimed)
