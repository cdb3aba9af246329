"""Payloads as Slack sends them (events, slash commands, interactions) and a signed HTTP sender for HTTP mode."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

_event_ids = itertools.count(1)
_ts = itertools.count(1)


def next_ts() -> str:
    """A fresh, rising Slack message timestamp."""
    return f"{int(time.time())}.{next(_ts):06d}"


def message(user: str, channel: str, text: str, *, ts: str | None = None, channel_type: str = "channel",
            thread_ts: str | None = None, parent_user_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A `message` event as a member posts it."""
    ts = ts or next_ts()
    event: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
                             "channel_type": channel_type, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    if parent_user_id:
        event["parent_user_id"] = parent_user_id
    event.update(extra)
    return event


def edit(original: dict[str, Any], new_text: str, *, edited_ts: str | None = None) -> dict[str, Any]:
    """A `message_changed` event for an earlier `message` event."""
    edited_ts = edited_ts or next_ts()
    changed = {"type": "message", "user": original["user"], "text": new_text, "ts": original["ts"],
               "edited": {"user": original["user"], "ts": edited_ts}}
    previous = {"type": "message", "user": original["user"], "text": original["text"], "ts": original["ts"]}
    return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": original["channel"],
            "channel_type": original.get("channel_type", "channel"), "ts": edited_ts, "event_ts": edited_ts,
            "message": changed, "previous_message": previous}


def event_callback(team_id: str, event: dict[str, Any], *, event_id: str | None = None,
                   api_app_id: str = "A0NUDGEBOT") -> dict[str, Any]:
    """The Events API envelope around one event."""
    return {"token": "legacy-verification-token", "team_id": team_id, "api_app_id": api_app_id, "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{next(_event_ids):010d}",
            "event_time": int(time.time()), "authorizations": [
                {"enterprise_id": None, "team_id": team_id, "user_id": "U0NUDGEBOT", "is_bot": True,
                 "is_enterprise_install": False}],
            "is_ext_shared_channel": False}


def slash_command(team_id: str, command: str, text: str, user: str, channel: str,
                  response_url: str) -> dict[str, str]:
    """A slash command's form fields."""
    return {"token": "legacy-verification-token", "team_id": team_id, "team_domain": "leicester-su",
            "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": user.lower(),
            "command": command, "text": text, "api_app_id": "A0NUDGEBOT", "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": f"{next(_event_ids)}.trigger"}


def block_action(team_id: str, user: str, channel: str, action_id: str, value: str, response_url: str, *,
                 message_ts: str = "", container_type: str = "message",
                 message: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `block_actions` payload: someone pressed a button (on `message`, when given)."""
    container: dict[str, Any] = {"type": container_type, "message_ts": message_ts or next_ts(),
                                 "channel_id": channel, "is_ephemeral": container_type == "ephemeral"}
    payload = {"type": "block_actions", "team": {"id": team_id, "domain": "leicester-su"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id}, "api_app_id": "A0NUDGEBOT",
            "token": "legacy-verification-token", "container": container, "trigger_id": f"{next(_event_ids)}.t",
            "channel": {"id": channel, "name": "channel"}, "response_url": response_url,
            "actions": [{"type": "button", "action_id": action_id, "block_id": "nudgebot", "value": value,
                         "action_ts": next_ts(), "text": {"type": "plain_text", "text": action_id}}]}
    if message is not None:
        payload["message"] = message
    return payload


def message_shortcut(team_id: str, user: str, channel: str, callback_id: str, reported: dict[str, Any],
                     response_url: str) -> dict[str, Any]:
    """A `message_action` payload: someone used a message shortcut on a message."""
    return {"type": "message_action", "callback_id": callback_id, "team": {"id": team_id, "domain": "leicester-su"},
            "user": {"id": user, "name": user.lower(), "team_id": team_id}, "channel": {"id": channel, "name": "c"},
            "message": {"type": "message", "user": reported["user"], "text": reported["text"], "ts": reported["ts"]},
            "message_ts": reported["ts"], "response_url": response_url, "trigger_id": f"{next(_event_ids)}.t",
            "token": "legacy-verification-token", "action_ts": next_ts()}


def view_submission(team_id: str, user: str, view: dict[str, Any], values: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A `view_submission` payload: someone submitted a modal; `values` is {block_id: {action_id: text}}."""
    state = {block: {action: {"type": "plain_text_input", "value": text} for action, text in actions.items()}
             for block, actions in values.items()}
    return {"type": "view_submission", "team": {"id": team_id, "domain": "leicester-su"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id}, "api_app_id": "A0NUDGEBOT",
            "token": "legacy-verification-token", "trigger_id": f"{next(_event_ids)}.t",
            "view": {**view, "state": {"values": state}, "hash": "1700000000.abc"}, "response_urls": []}


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's v0 signature of the exact request body."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SignedSender:
    """Posts events, commands and interactions to an HTTP-mode app, signed as Slack signs them."""

    def __init__(self, url: str, signing_secret: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.secret = signing_secret
        self.session = session

    async def post(self, body: bytes, content_type: str, *, timestamp: int | None = None,
                   signature: str | None = None, retry_num: int | None = None) -> tuple[int, str]:
        """POST the exact bytes with Slack's headers; return (status, body text)."""
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(stamp),
                   "X-Slack-Signature": signature or sign(self.secret, body, stamp)}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        async with self.session.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def event(self, payload: dict[str, Any], **options: Any) -> tuple[int, str]:
        """An Events API request (JSON)."""
        return await self.post(json.dumps(payload).encode(), "application/json", **options)

    async def command(self, form: dict[str, str], **options: Any) -> tuple[int, str]:
        """A slash command (form-encoded)."""
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **options)

    async def interaction(self, payload: dict[str, Any], **options: Any) -> tuple[int, str]:
        """An interactivity request (form field `payload` holding JSON)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **options)


def shared(original: dict[str, Any], *, team_id: str = "T0LEICSU", channel_name: str = "general",
           author_name: str = "someone") -> dict[str, Any]:
    """The attachment Slack puts on a message that shares (forwards) `original`, a `message` event."""
    permalink = f"https://leicester-su.slack.com/archives/{original['channel']}/p{original['ts'].replace('.', '')}"
    rich_text = {"type": "rich_text", "block_id": "sh4r", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": original["text"]}]}]}
    return {"id": 1, "ts": original["ts"], "author_id": original["user"], "channel_id": original["channel"],
            "channel_team": team_id, "channel_name": channel_name, "is_msg_unfurl": True, "is_share": True,
            "message_blocks": [{"team": team_id, "channel": original["channel"], "ts": original["ts"],
                                "message": {"blocks": [rich_text]}}],
            "from_url": permalink, "original_url": permalink, "fallback": f"[{original['ts']}] {author_name}: "
            f"{original['text']}", "text": original["text"], "author_name": author_name, "author_link": "",
            "author_icon": "", "author_subname": author_name, "mrkdwn_in": ["text"],
            "footer": f"Posted in #{channel_name}"}


def link_preview(url: str, title: str, text: str) -> dict[str, Any]:
    """The attachment Slack adds when it unfurls a link to a web page."""
    return {"id": 1, "service_name": "example.org", "title": title, "title_link": url, "text": text,
            "fallback": f"example.org: {title}", "from_url": url, "original_url": url, "service_icon": ""}


def file(name: str, *, title: str | None = None, alt_txt: str | None = None, user: str = "U0ALICE",
         file_id: str | None = None) -> dict[str, Any]:
    """A file object as a `file_share` message carries it (`title` defaults to the name, as Slack does)."""
    file_id = file_id or f"F{next(_event_ids):010d}"
    data: dict[str, Any] = {
        "id": file_id, "created": int(time.time()), "timestamp": int(time.time()), "name": name,
        "title": title if title is not None else name, "mimetype": "image/png", "filetype": "png",
        "pretty_type": "PNG", "user": user, "user_team": "T0LEICSU", "editable": False, "size": 48_213,
        "mode": "hosted", "is_external": False, "external_type": "", "is_public": True,
        "public_url_shared": False, "display_as_bot": False, "username": "",
        "url_private": f"https://files.slack.com/files-pri/T0LEICSU-{file_id}/{name}",
        "url_private_download": f"https://files.slack.com/files-pri/T0LEICSU-{file_id}/download/{name}",
        "permalink": f"https://leicester-su.slack.com/files/{user}/{file_id}/{name}", "has_rich_preview": False}
    if alt_txt is not None:
        data["alt_txt"] = alt_txt
    return data
