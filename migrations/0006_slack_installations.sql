-- Slack workspaces that installed nudgebot through the OAuth flow (`nudgebot slack --oauth`), and the OAuth
-- states handed out by the install page and not yet used. One installation per workspace (org-wide Enterprise
-- Grid installs are not offered): what Slack's oauth.v2.access gave, bot token included, as JSON. Uninstalling
-- deletes the row; the workspace's incidents and settings stay for the retention period, like any community's.

CREATE TABLE slack_installations (
    team_id             TEXT PRIMARY KEY,
    enterprise_id       TEXT NOT NULL DEFAULT '',
    installation        TEXT NOT NULL,
    installed_at        TEXT NOT NULL
);

-- A state is kept only as a keyed hash (HMAC with SLACK_STATE_SECRET): the database alone cannot make one valid.
CREATE TABLE slack_oauth_states (
    state_hash          TEXT PRIMARY KEY,
    expires_at          TEXT NOT NULL
);
