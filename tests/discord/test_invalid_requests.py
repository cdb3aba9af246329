"""The bot stays far below Discord's invalid-request limit (10,000 answers 401, 403 or 429 in ten minutes ban the
address): it counts every such answer discord.py gets, its own retries of a 429 included, and once its budget
is spent it holds nudges in the outbox instead of sending more."""

from __future__ import annotations

from bot.core import Core
from bot.request_budget import InvalidRequests
from bot.settings import Settings
from tests.discord.support import World, incident_rows, start_bot

# Made up for these tests: a poster sharing a friend's phone number.
BREACH = "message Marek on 07700 900789 about the lift"
DM_ROUTE = "POST /channels/{channel_id}/messages"


async def test_once_the_budget_is_spent_nudges_wait_in_the_outbox(world: World, core: Core,
                                                                  settings: Settings) -> None:
    fake = world.fake
    posters = [fake.add_member(world.guild, f"closed{n}") for n in range(6)]
    for poster in posters:
        fake.refuse_dms(poster)  # every nudge would be a 403 (50007)
    running = await start_bot(fake, core, settings, invalid_request_budget=3)
    try:
        for poster in posters:
            await fake.post_message(world.general, poster, BREACH)
        await fake.wait_for(lambda: len(incident_rows(settings.db_path)) == len(posters), what="every incident")
        await running.idle(fake, received=len(posters))
        refused = fake.calls(DM_ROUTE, status=403)
        assert len(refused) == 3  # the budget, and not one request more
        assert running.bot.invalid_requests.exhausted
        rows = incident_rows(settings.db_path)
        assert sorted(r["delivery_status"] for r in rows) == ["pending"] * 3 + ["refused"] * 3  # the rest wait
    finally:
        await running.stop()


async def test_rate_limited_answers_count_too_even_those_discord_py_retries(world: World, core: Core,
                                                                            settings: Settings) -> None:
    fake = world.fake
    running = await start_bot(fake, core, settings, invalid_request_budget=2)
    try:
        fake.rate_limit(DM_ROUTE, times=2, retry_after=0.2)  # discord.py sleeps and retries by itself
        await fake.post_message(world.general, world.alice, BREACH)
        await fake.wait_for(lambda: fake.dms_to(world.alice), what="alice's nudge, after two 429s")
        await fake.post_message(world.general, world.bob, BREACH)
        await fake.wait_for(lambda: len(incident_rows(settings.db_path)) == 2, what="bob's incident")
        await running.idle(fake, received=2)
        assert running.bot.invalid_requests.total == 2
        assert not fake.dms_to(world.bob)  # held back: the two 429s spent the budget
        assert [r["delivery_status"] for r in incident_rows(settings.db_path)] == ["delivered", "pending"]
    finally:
        await running.stop()


def test_the_window_counts_what_discord_counts_and_forgets_after_ten_minutes() -> None:
    now = [0.0]
    budget = InvalidRequests(budget=3, window=600.0, clock=lambda: now[0])
    for status, scope in ((200, None), (404, None), (429, "shared"), (403, None), (429, "user"), (401, None)):
        budget.record(status, scope)  # a 404 and a shared 429 are not counted by Discord
    assert (budget.total, budget.exhausted) == (3, True)
    with budget.attempt() as allowed:
        assert not allowed
    now[0] = 600.5
    assert budget.in_window == 0 and not budget.exhausted
    budget.record(403)
    budget.record(403)
    with budget.attempt() as first, budget.attempt() as second:
        assert first and not second  # the send in flight may still be refused: it holds the last place
