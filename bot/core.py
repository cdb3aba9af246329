"""Opens everything the adapters share (store, policy, scanner, moderator, escalation, committee review) in one call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.community_setup import CommunitySetup
from bot.detection.clauses import PolicyBook, load_policy
from bot.detection.scanner import Scanner, ScannerSettings, load_default_scanner
from bot.escalation import Clock, EscalationTracker, utc_now
from bot.models import Principal, ReviewAction
from bot.moderation import Moderator
from bot.review import CommitteeReview
from bot.runtime.purge import DailyPurge
from bot.settings import Settings
from bot.store import Store
from bot.tiers import Reviewed, after_decision

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Core:
    """The moderation core one process runs: adapters hold a Core and call `moderator` and `review`."""

    settings: Settings
    store: Store
    policy: PolicyBook
    scanner: Scanner
    moderator: Moderator
    escalation: EscalationTracker
    review: CommitteeReview
    purge: DailyPurge  # the retention schedule; the adapters start it, close() stops it
    clock: Clock = utc_now
    closed: bool = False

    @property
    def setup(self) -> CommunitySetup:
        """The community settings service (committee-only, checked as the review service checks)."""
        return CommunitySetup(self.review)

    async def review_incident(self, principal: Principal, incident_id: int, action: ReviewAction | str,
                              note: str = "") -> Reviewed:
        """A committee decision (principal checked by the review service) and what the adapter must now deliver.

        Confirming an incident held for review gives its nudge; the adapter sends it through its claims, so it is
        delivered once even if the outbox runs meanwhile.
        """
        return await after_decision(self.moderator, await self.review.decide(principal, incident_id, action, note))

    async def close(self) -> None:
        """Try once more to record incidents held in memory, then close the database; a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        try:
            await self.purge.stop()
            if self.moderator.pending_count:
                await self.moderator.flush()
                if self.moderator.pending_count:
                    log.error("closing with incidents that could not be recorded",
                              extra={"pending": self.moderator.pending_count})
        finally:
            # Whatever happened above, the connection's worker thread must stop, or the process never exits.
            await self.store.close()


def build_scanner(settings: Settings) -> Scanner:
    """The built-in rule packs plus the committee's (NUDGEBOT_RULES_DIR), with the student-number pattern."""
    options = {}
    if settings.student_number_pattern:
        options["student_number"] = {"pattern": settings.student_number_pattern}
    if not settings.rules_dirs and not options:
        return load_default_scanner()  # the built-in packs alone: compiled once per process, however often asked
    return Scanner.from_directories(list(settings.rules_dirs), ScannerSettings(validator_options=options))


async def open_core(settings: Settings, *, clock: Clock = utc_now, scanner: Scanner | None = None,
                    policy: PolicyBook | None = None,
                    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> Core:
    """Open the store (migrating it), load policy and rules, and build the services.

    `scanner` and `policy` may be passed in to share one already built (tests, benchmarks); `clock` is injected
    so tests can run escalation windows on simulated time, and `clock` with `sleep` drive the daily purge the
    adapters start (`core.purge.start()`).
    """
    store = await Store.open(settings.db_path, default_retention_days=settings.retention_days,
                             default_keep_full_content=settings.keep_full_content)
    try:
        policy = policy or load_policy()
        if scanner is None:
            # Compiling the packs takes a second or two: keep the event loop free meanwhile.
            scanner = await asyncio.to_thread(build_scanner, settings)
        purge = DailyPurge(store, clock=clock, sleep=sleep)
        escalation = EscalationTracker(store, settings.escalation_threshold,
                                       timedelta(days=settings.escalation_window_days), clock)
        moderator = Moderator(store, scanner, policy, settings, clock, escalation=escalation)
        review = CommitteeReview(store, policy, clock=clock)
    except BaseException:
        await store.close()
        raise
    return Core(settings=settings, store=store, policy=policy, scanner=scanner, moderator=moderator,
                escalation=escalation, review=review, purge=purge, clock=clock)

