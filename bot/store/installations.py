"""Slack installations made through the OAuth flow and the OAuth states of installs under way; the Slack adapter
(bot/slack/oauth.py) turns these rows into slack_sdk's values. The same statements on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.store.base import Db, StoreBase, ts


class InstallationStore(StoreBase):
    """One installation per workspace (keyed by its team id), and single-use OAuth states."""

    async def save_installation(self, enterprise_id: str, team_id: str, installation: Mapping[str, Any],
                                now: datetime) -> None:
        """Create or replace a workspace's installation (a new install, a re-install or a refreshed token)."""
        values = {"team": team_id, "enterprise": enterprise_id, "data": json.dumps(dict(installation), sort_keys=True),
                  "at": ts(now)}

        async def work(db: Db) -> None:
            await db.run(
                """INSERT INTO slack_installations (team_id, enterprise_id, installation, installed_at)
                   VALUES (:team, :enterprise, :data, :at)
                   ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id,
                       installation = excluded.installation, installed_at = excluded.installed_at""", values)

        await self._write(work)

    async def find_installation(self, team_id: str) -> dict[str, Any] | None:
        """A workspace's installation as saved; None when it never installed nudgebot or has uninstalled it."""
        row = await self._one("SELECT installation FROM slack_installations WHERE team_id = :team", {"team": team_id})
        return dict(json.loads(row["installation"])) if row else None

    async def delete_installation(self, team_id: str) -> bool:
        """Forget a workspace's installation and its tokens; True when there was one. Incidents are not touched."""

        async def work(db: Db) -> int:
            return await db.run("DELETE FROM slack_installations WHERE team_id = :team", {"team": team_id})

        return await self._write(work) > 0

    async def installed_teams(self) -> list[str]:
        """The team id of every installed workspace."""
        rows = await self._rows("SELECT team_id FROM slack_installations ORDER BY team_id")
        return [str(r["team_id"]) for r in rows]

    async def save_oauth_state(self, state_hash: str, expires_at: datetime, now: datetime) -> None:
        """Remember a state the install page handed out, until it expires; states already expired are cleared, so
        the table holds only the last few minutes' (anyone may open the install page)."""

        async def work(db: Db) -> None:
            await db.run("DELETE FROM slack_oauth_states WHERE expires_at <= :now", {"now": ts(now)})
            await db.run("INSERT INTO slack_oauth_states (state_hash, expires_at) VALUES (:state, :expires)",
                         {"state": state_hash, "expires": ts(expires_at)})

        await self._write(work)

    async def consume_oauth_state(self, state_hash: str, now: datetime) -> bool:
        """Use up a state: True once for a state handed out and not expired, False for any other (or a replay).
        Expired states are cleared on the way."""

        async def work(db: Db) -> int:
            used = await db.run("DELETE FROM slack_oauth_states WHERE state_hash = :state AND expires_at > :now",
                                {"state": state_hash, "now": ts(now)})
            await db.run("DELETE FROM slack_oauth_states WHERE expires_at <= :now", {"now": ts(now)})
            return used

        return await self._write(work) == 1
