"""Log filters that keep tokens and members' message text out of what discord.py and slack-bolt log.

discord.py's DEBUG lines print interaction and webhook URLs, whose last part is a short-lived token that can
answer as the bot; slack-bolt logs, at INFO, the whole body of a request whose signature does not verify, and
that body can be a member's message (a stale retry, a clock out of step) or an attacker's payload. The filters
rewrite such records in place, at the logger that makes them, before any handler sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

DISCORD_LOGGERS = ("discord.http", "discord.webhook.async_", "discord.gateway", "discord.client", "discord.state")
BOLT_LOGGERS = ("slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification")
# At DEBUG, slack_sdk's Web API client logs each request's form and each response's body, and aiosqlite each
# statement with its parameters: in OAuth mode those hold oauth.v2.access's code, the refresh token and the
# workspace's new bot token (on its way into the installations table).
# The OAuth redirect's code and state (single use, but a secret until used) are in the access log's request line
# and in Bolt's DEBUG line about the callback.
SLACK_SECRET_LOGGERS = ("slack_sdk.web.async_base_client", "slack_sdk.web.base_client", "aiosqlite", "aiohttp.access")

_TOKEN_IN_URL = re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.\-]+")
_TOKEN_FIELD = re.compile(r"""(['"]token['"]\s*:\s*['"])[^'"]+""")
_REQUEST_BODY = re.compile(r"\bbody: .*", re.DOTALL)
_SLACK_TOKEN = re.compile(r"\b(xox[a-z])-[A-Za-z0-9-]+")
_OAUTH_FIELD = re.compile(
    r"""(['"](?:code|state|refresh_token|access_token|client_secret)['"]\s*:\s*\[?\s*['"])[^'"]+""")
_OAUTH_QUERY = re.compile(r"([?&](?:code|state)=)[^&\s\"']+")


def redact_tokens(text: str) -> str:
    """Interaction and webhook tokens in URLs and in payload dumps replaced by <redacted>."""
    return _TOKEN_FIELD.sub(r"\1<redacted>", _TOKEN_IN_URL.sub(r"\1<redacted>", text))


def redact_slack_secrets(text: str) -> str:
    """Slack tokens (xoxb-, xoxe-, ...) and OAuth codes and secrets in a log line replaced by <redacted>."""
    text = _OAUTH_QUERY.sub(r"\1<redacted>", _SLACK_TOKEN.sub(r"\1-<redacted>", text))
    return _OAUTH_FIELD.sub(r"\1<redacted>", text)


def withhold_body(text: str) -> str:
    """A request body in a log line replaced by a note that it was withheld."""
    return _REQUEST_BODY.sub("body withheld: it may hold a member's message)", text)


class RewriteFilter(logging.Filter):
    """Rewrites a record's final message with `rewrite` (the record is kept, only its words change)."""

    def __init__(self, rewrite: Callable[[str], str]) -> None:
        super().__init__()
        self.rewrite = rewrite

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message when the rewrite changes it; never drop a record."""
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is left for logging's own error handling
            return True
        rewritten = self.rewrite(text)
        if rewritten != text:
            record.msg, record.args = rewritten, ()
        return True


def install(names: Iterable[str], rewrite: Callable[[str], str]) -> None:
    """Add a rewrite filter to each named logger, once (calling it again changes nothing)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RewriteFilter) and f.rewrite is rewrite for f in logger.filters):
            logger.addFilter(RewriteFilter(rewrite))


def protect_discord_logs() -> None:
    """No interaction or webhook token in discord.py's log lines, at any level."""
    install(DISCORD_LOGGERS, redact_tokens)


def protect_bolt_logs(app_logger: str | None = None) -> None:
    """No request body in slack-bolt's failed-signature log line; no token or OAuth secret in slack_sdk's, the
    store driver's, the access log's or (`app_logger`) the one the Bolt app was given."""
    install(BOLT_LOGGERS, withhold_body)
    install((*SLACK_SECRET_LOGGERS, *([app_logger] if app_logger else [])), redact_slack_secrets)
