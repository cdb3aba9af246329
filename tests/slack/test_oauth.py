"""Slack for many workspaces, end to end: two workspaces install nudgebot through Bolt's OAuth flow against the fake
Slack, each is moderated with its own settings and its own token, and an uninstall removes that workspace's tokens
and nothing else."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.detection.scanner import Scanner
from bot.logsetup import IdsFormatter
from bot.models import NudgeMode
from bot.slack.oauth import BOT_SCOPES
from tests.fakes import slack_events as payloads
from tests.fakes.slack_oauth import FakeSlackOrg
from tests.slack.conftest import BREACH, CLEAN, SERIOUS, eventually
from tests.slack.oauth_harness import (
    CHESS,
    CHESS_ALERTS,
    CHESS_BOT,
    CHESS_GENERAL,
    DRAMA,
    DRAMA_ALERTS,
    DRAMA_GENERAL,
    JUDIT,
    KASPAR,
    MAGNUS,
    PORTIA,
    PROSPERO,
    STATE_SECRET,
    OAuthApp,
    make_org,
    query_of,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def org() -> AsyncIterator[FakeSlackOrg]:
    fake = make_org()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def app(org: FakeSlackOrg, tmp_path: Path, shared_scanner: Scanner,
              db_target: Path | str) -> AsyncIterator[OAuthApp]:
    """The app in OAuth mode, its installations and states in nudgebot's database: an SQLite file, or PostgreSQL."""
    async with OAuthApp(org, tmp_path, shared_scanner, db_target) as running:
        yield running


async def rows(app: OAuthApp, sql: str) -> list[dict[str, object]]:
    """Read nudgebot's database (either backend) through its store."""
    return [dict(r) for r in await app.core.store._rows(sql)]


async def installed(app: OAuthApp) -> dict[str, str]:
    """team id -> the bot token stored for it."""
    return {str(r["team_id"]): json.loads(str(r["installation"]))["bot_token"]
            for r in await rows(app, "SELECT team_id, installation FROM slack_installations")}


async def install_both(app: OAuthApp) -> None:
    for team, installer in ((CHESS, JUDIT), (DRAMA, PORTIA)):
        answer = await app.install(team, installer)
        assert answer.status == 200, answer.text
    # Chess nudges and alerts in its committee channel; Drama only records breaches, with its own alert channel.
    await app.setup_committee(CHESS, CHESS_ALERTS)
    await app.setup_committee(DRAMA, DRAMA_ALERTS, NudgeMode.RECORD)


async def moderate(app: OAuthApp, messages: list[tuple[str, dict[str, object]]]) -> None:
    start = app.bot.handled_events
    for team, event in messages:
        assert await app.event(team, event) == 200
    await eventually(lambda: app.bot.handled_events >= start + len(messages), 15, "messages moderated")


async def test_two_workspaces_install_through_the_oauth_flow(app: OAuthApp, org: FakeSlackOrg) -> None:
    link, cookie = await app.browser.open_install_page()
    asked = query_of(link)
    assert link.startswith(org.authorize_url)
    assert asked["client_id"] == org.client_id and set(asked["scope"].split(",")) == set(BOT_SCOPES)
    assert cookie.startswith("slack-app-oauth-state=") and asked["state"] == cookie.split("=", 1)[1]

    location = await app.browser.authorize(link, CHESS, JUDIT)
    back = await app.browser.come_back(location, cookie)
    assert back.status == 200, back.text
    assert (await app.install(DRAMA, PORTIA)).status == 200

    tokens = await installed(app)
    assert tokens == {CHESS: org.workspaces[CHESS].bot_token, DRAMA: org.workspaces[DRAMA].bot_token}
    assert tokens[CHESS] != tokens[DRAMA]
    assert [c.error for c in org.oauth_calls] == [None, None]
    assert await rows(app, "SELECT state_hash FROM slack_oauth_states") == []  # both states were used up


async def test_a_state_is_stored_only_as_a_keyed_hash(app: OAuthApp) -> None:
    link, _ = await app.browser.open_install_page()
    state = query_of(link)["state"]
    stored = [str(r["state_hash"]) for r in await rows(app, "SELECT state_hash FROM slack_oauth_states")]
    assert len(stored) == 1 and state not in stored[0]
    assert stored[0] == hmac.new(STATE_SECRET.encode(), state.encode(), hashlib.sha256).hexdigest()


async def test_each_workspace_is_moderated_with_its_own_settings_and_token(app: OAuthApp,
                                                                          org: FakeSlackOrg) -> None:
    await install_both(app)
    chess, drama = app.workspace(CHESS), app.workspace(DRAMA)
    await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH)),
                         (DRAMA, payloads.message(PROSPERO, DRAMA_GENERAL, BREACH)),
                         (CHESS, payloads.message(MAGNUS, CHESS_GENERAL, CLEAN))])

    incidents = await rows(app, "SELECT community_id, author_id, delivery_status FROM incidents ORDER BY id")
    assert [(r["community_id"], r["author_id"]) for r in incidents] == [(CHESS, KASPAR), (DRAMA, PROSPERO)]
    await eventually(lambda: len(chess.ephemerals(KASPAR)) == 1, 10, "the nudge in Chess")
    # The nudge reached Chess's channel through Chess's own token (the fake routes a call by its token); Drama
    # records without nudging, as its committee chose, so nothing was posted there.
    assert chess.ephemerals(KASPAR)[0].channel == CHESS_GENERAL
    assert drama.ephemerals() == [] and drama.calls_to("chat.postEphemeral") == []
    by_team = {r["community_id"]: r["delivery_status"] for r in incidents}
    assert by_team[DRAMA] == "suppressed"

    # A serious breach alerts each workspace's committee in its own alert channel, with its own token.
    await moderate(app, [(CHESS, payloads.message(MAGNUS, CHESS_GENERAL, SERIOUS)),
                         (DRAMA, payloads.message(PROSPERO, DRAMA_GENERAL, SERIOUS))])
    await eventually(lambda: bool(chess.messages_in(CHESS_ALERTS)) and bool(drama.messages_in(DRAMA_ALERTS)), 10,
                     "an alert in each committee channel")
    assert not chess.messages_in(DRAMA_ALERTS) and not drama.messages_in(CHESS_ALERTS)
    assert all(call.error is None for call in chess.calls + drama.calls)


async def test_uninstall_removes_that_workspaces_tokens_and_nothing_else(app: OAuthApp,
                                                                        org: FakeSlackOrg) -> None:
    await install_both(app)
    await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH)),
                         (DRAMA, payloads.message(PROSPERO, DRAMA_GENERAL, BREACH))])
    before = await rows(app, "SELECT id, community_id FROM incidents ORDER BY id")
    drama_token = (await installed(app))[DRAMA]

    org.uninstall(CHESS)
    assert await app.event(CHESS, {"type": "app_uninstalled", "event_ts": payloads.next_ts()}) == 200
    assert await installed(app) == {DRAMA: drama_token}
    # Chess's incidents stay (for the retention period), and so do its settings.
    assert await rows(app, "SELECT id, community_id FROM incidents ORDER BY id") == before
    assert {r["community_id"] for r in await rows(app, "SELECT community_id FROM communities")} == {CHESS, DRAMA}
    names = await rows(app, "SELECT community_id, name FROM names WHERE kind = 'community' ORDER BY community_id")
    assert [(r["community_id"], r["name"]) for r in names] == [(CHESS, "Chess Society"), (DRAMA, "Drama Society")]

    # Drama is still moderated; an event from Chess is no longer authorised (no token to act with).
    handled = app.bot.handled_events
    await moderate(app, [(DRAMA, payloads.message(PROSPERO, DRAMA_GENERAL, SERIOUS))])
    assert await app.event(CHESS, payloads.message(KASPAR, CHESS_GENERAL, SERIOUS)) == 200
    assert app.bot.handled_events == handled + 1
    after = await rows(app, "SELECT community_id FROM incidents ORDER BY id")
    assert [r["community_id"] for r in after] == [CHESS, DRAMA, DRAMA]
    await eventually(lambda: len(app.workspace(DRAMA).messages_in(DRAMA_ALERTS)) >= 1, 10, "Drama's alert")
    assert org.workspaces[CHESS].calls_to("chat.postMessage") == []


async def test_a_nudge_still_due_in_a_workspace_that_left_is_refused(app: OAuthApp, org: FakeSlackOrg) -> None:
    await install_both(app)
    chess = app.workspace(CHESS)
    chess.outage(["chat.postEphemeral", "conversations.open"])  # Slack failing: the nudge waits in the outbox
    await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH))])
    assert [r["delivery_status"] for r in await rows(app, "SELECT delivery_status FROM incidents")] == ["pending"]
    org.uninstall(CHESS)
    assert await app.event(CHESS, {"type": "app_uninstalled", "event_ts": payloads.next_ts()}) == 200
    chess.end_outage()
    await app.bot.delivery.deliver_outbox()
    assert [r["delivery_status"] for r in await rows(app, "SELECT delivery_status FROM incidents")] == ["refused"]
    assert chess.ephemerals() == []  # nothing reached the workspace that removed the app


async def test_tokens_revoked_removes_the_bot_token(app: OAuthApp, org: FakeSlackOrg) -> None:
    await install_both(app)
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [CHESS_BOT]}, "event_ts": payloads.next_ts()}
    assert await app.event(CHESS, event) == 200
    assert set(await installed(app)) == {DRAMA}


async def test_a_wrong_or_replayed_state_is_refused(app: OAuthApp, org: FakeSlackOrg) -> None:
    link, cookie = await app.browser.open_install_page()
    location = await app.browser.authorize(link, CHESS, JUDIT)
    state = query_of(location)["state"]

    made_up = location.replace(state, "not-a-state-nudgebot-issued")
    refused = await app.browser.come_back(made_up, "slack-app-oauth-state=not-a-state-nudgebot-issued")
    assert refused.status == 401
    no_cookie = await app.browser.come_back(location, "")  # another browser than the one that opened the install page
    assert no_cookie.status == 400
    assert await installed(app) == {}

    assert (await app.browser.come_back(location, cookie)).status == 200
    assert set(await installed(app)) == {CHESS}
    replayed = await app.browser.come_back(location, cookie)
    assert replayed.status == 401  # the state was used up by the first callback
    assert [c.error for c in org.oauth_calls] == [None]  # only the genuine callback traded its code


async def test_signature_verification_stays_on(app: OAuthApp) -> None:
    await install_both(app)
    body = payloads.event_callback(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH))
    status, _ = await app.sender.post(json.dumps(body).encode(), "application/json", signature="v0=" + "0" * 64)
    assert status == 401
    assert await rows(app, "SELECT id FROM incidents") == []


def test_the_install_asks_for_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def refreshes(org: FakeSlackOrg) -> list[object]:
    return [c for c in org.oauth_calls if c.args.get("grant_type") == "refresh_token"]


@pytest.fixture
def rotating(org: FakeSlackOrg) -> FakeSlackOrg:
    """Token rotation on: tokens live 12 hours, but the ones the installs give have 10 minutes left."""
    org.rotation_seconds = 12 * 3600
    org.install_token_seconds = 600
    return org


async def test_an_event_refreshes_a_token_about_to_expire(rotating: FakeSlackOrg, tmp_path: Path,
                                                         shared_scanner: Scanner) -> None:
    async with OAuthApp(rotating, tmp_path, shared_scanner) as app:
        await install_both(app)
        old = (await installed(app))[CHESS]
        await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH))])
        await eventually(lambda: len(app.workspace(CHESS).ephemerals(KASPAR)) == 1, 10, "the nudge")
        new = (await installed(app))[CHESS]
        assert new != old and new == app.workspace(CHESS).bot_token
        assert len(refreshes(rotating)) == 1  # Bolt refreshed it while authorising the event; once
        sent = [token for _, method, token in rotating.used_tokens if method == "chat.postEphemeral"]
        assert sent == [new]  # the nudge went out with the refreshed token
        assert (await installed(app))[DRAMA] == app.workspace(DRAMA).bot_token  # Drama's token was left alone


async def test_a_delivery_outside_an_event_refreshes_the_token_first(rotating: FakeSlackOrg, tmp_path: Path,
                                                                     shared_scanner: Scanner) -> None:
    async with OAuthApp(rotating, tmp_path, shared_scanner) as app:
        await install_both(app)
        old = (await installed(app))[CHESS]
        # The outbox, a retried alert or an export take their client here, with no event to refresh the token.
        client = await app.bot.clients.for_team(CHESS)
        await client.chat_postMessage(channel=CHESS_ALERTS, text="outbox retry")
        assert len(refreshes(rotating)) == 1
        assert (await installed(app))[CHESS] != old
        assert [token for _, method, token in rotating.used_tokens if method == "chat.postMessage"] == \
            [(await installed(app))[CHESS]]
        again = await app.bot.clients.for_team(CHESS)  # fresh for twelve hours: no second refresh
        await again.chat_postMessage(channel=CHESS_ALERTS, text="another")
        assert len(refreshes(rotating)) == 1


async def test_a_token_is_checked_with_slack_once_not_per_event(app: OAuthApp, org: FakeSlackOrg) -> None:
    await install_both(app)
    before = len(app.workspace(CHESS).calls_to("auth.test"))
    await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, CLEAN)) for _ in range(5)])
    assert len(app.workspace(CHESS).calls_to("auth.test")) - before <= 2  # Bolt's authorize, and the workspace URL


async def test_an_event_and_a_delivery_at_once_refresh_the_token_once(rotating: FakeSlackOrg, tmp_path: Path,
                                                                      shared_scanner: Scanner) -> None:
    async with OAuthApp(rotating, tmp_path, shared_scanner) as app:
        await install_both(app)
        status, client = await asyncio.gather(
            app.event(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH)), app.bot.clients.for_team(CHESS))
        assert status == 200
        assert len(refreshes(rotating)) == 1 and [c.error for c in refreshes(rotating)] == [None]
        await client.chat_postMessage(channel=CHESS_ALERTS, text="from the outbox")  # its token works
        await eventually(lambda: len(app.workspace(CHESS).ephemerals(KASPAR)) == 1, 10, "the event's nudge")


async def test_no_token_code_or_secret_in_the_logs_even_at_debug(app: OAuthApp, org: FakeSlackOrg,
                                                                 rotating: FakeSlackOrg,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await install_both(app)
    await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH))])  # refreshes Chess's token
    assert refreshes(org)
    logged = caplog.text
    assert "oauth.v2.access" in logged  # slack_sdk did log the calls, at DEBUG
    secrets = [org.client_secret, STATE_SECRET, *org.tokens, *org.revoked, *org.grants,
               *(c.args.get("refresh_token", "") for c in org.oauth_calls)]
    assert [s for s in secrets if s and s in logged] == []


async def test_two_processes_behind_one_address_share_installs_and_states(app: OAuthApp, org: FakeSlackOrg,
                                                                         tmp_path: Path,
                                                                         shared_scanner: Scanner) -> None:
    async with OAuthApp(org, tmp_path / "second", shared_scanner, app.settings.db_path) as second:
        # The install page from one process, Slack's redirect to the other (org.redirect_url is the second's).
        link, cookie = await app.browser.open_install_page()
        location = await app.browser.authorize(link, CHESS, JUDIT)
        assert location.startswith(second.url)
        assert (await second.browser.come_back(location, cookie)).status == 200
        await app.setup_committee(CHESS, CHESS_ALERTS)
        # The first process moderates Chess with the token the second stored.
        await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH))])
        await eventually(lambda: len(app.workspace(CHESS).ephemerals(KASPAR)) == 1, 10, "the nudge")
        assert await installed(second) == await installed(app) == {CHESS: org.workspaces[CHESS].bot_token}


async def test_two_processes_refreshing_one_token_at_once_both_handle_their_event(
        rotating: FakeSlackOrg, tmp_path: Path, shared_scanner: Scanner) -> None:
    db = tmp_path / "shared.db"
    async with OAuthApp(rotating, tmp_path, shared_scanner, db) as first, \
            OAuthApp(rotating, tmp_path / "second", shared_scanner, db) as second:
        await install_both(first)
        statuses = await asyncio.gather(
            first.event(CHESS, payloads.message(KASPAR, CHESS_GENERAL, BREACH)),
            second.event(CHESS, payloads.message(MAGNUS, CHESS_GENERAL, BREACH)))
        assert statuses == [200, 200]
        # Both refreshed the token at once; Slack took the first refresh only, and the other process found the
        # token the first had saved instead of dropping its event.
        assert [c.error for c in refreshes(rotating)] == [None, "invalid_refresh_token"]
        await eventually(lambda: first.bot.handled_events == 1 and second.bot.handled_events == 1, 10,
                         "an event handled by each process")
        chess = first.workspace(CHESS)
        await eventually(lambda: len(chess.ephemerals(KASPAR)) == 1 and len(chess.ephemerals(MAGNUS)) == 1, 10,
                         "both nudges")


class _Lines(logging.Handler):
    """Each record formatted as it is logged (the ids bound for the work in hand are read then, not later)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(IdsFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_every_line_about_a_workspace_names_it_in_oauth_mode(app: OAuthApp, org: FakeSlackOrg) -> None:
    lines = _Lines()
    logging.getLogger().addHandler(lines)
    try:
        await install_both(app)
        await moderate(app, [(CHESS, payloads.message(KASPAR, CHESS_GENERAL, SERIOUS)),
                             (DRAMA, payloads.message(PROSPERO, DRAMA_GENERAL, SERIOUS))])
        chess, drama = app.workspace(CHESS), app.workspace(DRAMA)
        await eventually(lambda: bool(chess.messages_in(CHESS_ALERTS)) and bool(drama.messages_in(DRAMA_ALERTS)),
                         10, "an alert in each committee channel")
        await eventually(lambda: any("nudge delivery" in line for line in lines.lines), 10, "the nudge's line")
        org.uninstall(CHESS)  # Bolt's own listener, on our store: a line from within the request
        assert await app.event(CHESS, {"type": "app_uninstalled", "event_ts": payloads.next_ts()}) == 200
    finally:
        logging.getLogger().removeHandler(lines)
    ours = [line for line in lines.lines if " bot." in line]
    for wanted in ("Slack workspace installed", "incident recorded", "nudge delivery", "tokens deleted"):
        assert any(wanted in line for line in ours), wanted
    for line in ours:  # a line about a workspace, or one of its incidents, says which in workspace_id
        named = {team for team in (CHESS, DRAMA) if team in line}
        if named or "incident_id=" in line:
            assert len(named) == 1 and f"workspace_id={named.pop()}" in line, line
