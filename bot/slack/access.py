"""Who may use committee commands on Slack: asked of Slack at the time, from the workspace's committee user group
or committee channel, never from anything a member can put in a message."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Platform, Principal
from bot.slack.notifier import error_code
from bot.texts import SLACK_COMMITTEE_ONLY

if TYPE_CHECKING:
    from bot.review import CommitteeReview
    from bot.slack.oauth import WorkspaceClients

log = logging.getLogger(__name__)

REFUSAL = SLACK_COMMITTEE_ONLY


class SlackCommittee:
    """Establishes the acting member as a `Principal` for the core's committee review."""

    def __init__(self, clients: WorkspaceClients, review: CommitteeReview) -> None:
        self.clients = clients
        self.review = review

    async def is_committee(self, team_id: str, user_id: str) -> bool:
        """Ask Slack now whether this member is in the committee's user group or committee channel."""
        community = await self.review.community(Platform.SLACK, team_id)
        client = await self.clients.for_team(team_id)
        if community.committee_role and await self._in_group(client, community.committee_role, user_id):
            return True
        return bool(community.committee_channel) and await self._in_channel(client, community.committee_channel,
                                                                            user_id)

    @staticmethod
    async def _in_group(client: AsyncWebClient, group: str, user_id: str) -> bool:
        try:
            answer = await client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.warning("committee user group %s could not be read: %s", group, error_code(exc))
            return False
        return user_id in (answer.get("users") or [])

    @staticmethod
    async def _in_channel(client: AsyncWebClient, channel: str, user_id: str) -> bool:
        cursor = ""
        try:
            while True:
                page = await client.conversations_members(channel=channel, limit=200, cursor=cursor or None)
                if user_id in (page.get("members") or []):
                    return True
                cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    return False
        except SlackApiError as exc:
            log.warning("committee channel %s could not be read: %s", channel, error_code(exc))
            return False

    async def principal(self, team_id: str, user_id: str) -> Principal | None:
        """The member as a committee principal, or None (logged) when they are not on the committee."""
        if not await self.is_committee(team_id, user_id):
            log.info("committee command refused", extra={"user_id": user_id, "team_id": team_id})
            return None
        return Principal(platform=Platform.SLACK, community_id=team_id, user_id=user_id, is_committee=True)
