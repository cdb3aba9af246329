-- The incident store: communities and their settings, incidents with their audit trail, escalations and
-- members' feedback. Message content is kept only as a masked excerpt unless a community opts in.

CREATE TABLE communities (
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    committee_role      TEXT NOT NULL DEFAULT '',      -- Discord role id/name or Slack user group id
    committee_channel   TEXT NOT NULL DEFAULT '',      -- Slack: members of this channel are the committee
    alert_channel       TEXT NOT NULL DEFAULT '',
    under18_channels    TEXT NOT NULL DEFAULT '[]',    -- JSON list of channel ids
    nudge_mode          TEXT NOT NULL DEFAULT 'nudge' CHECK (nudge_mode IN ('nudge', 'record', 'off')),
    retention_days      INTEGER NOT NULL DEFAULT 180 CHECK (retention_days > 0),
    keep_full_content   INTEGER NOT NULL DEFAULT 0 CHECK (keep_full_content IN (0, 1)),
    welfare_contact     TEXT NOT NULL DEFAULT '',
    welfare_alerts      INTEGER NOT NULL DEFAULT 0 CHECK (welfare_alerts IN (0, 1)),
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (platform, community_id)
);

CREATE TABLE incidents (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    channel_id          TEXT NOT NULL,
    message_id          TEXT NOT NULL,
    revision            INTEGER NOT NULL DEFAULT 0,
    permalink           TEXT NOT NULL DEFAULT '',
    author_id           TEXT NOT NULL,
    author_name         TEXT NOT NULL DEFAULT '',
    targets             TEXT NOT NULL DEFAULT '[]',    -- JSON list of user ids
    clauses             TEXT NOT NULL,                 -- JSON list, e.g. ["5.5.1"]
    primary_clause      TEXT NOT NULL,
    rules               TEXT NOT NULL,                 -- JSON list of rule ids
    severity            TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    excerpt             TEXT NOT NULL,                 -- offending words masked
    content             TEXT,                          -- full text, only where the community chose to keep it
    created_at          TEXT NOT NULL,                 -- when the message was posted
    recorded_at         TEXT NOT NULL,                 -- when nudgebot recorded it (the audit trail's first line)
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'confirmed', 'dismissed', 'escalated', 'resolved', 'corrected')),
    delivery_status     TEXT NOT NULL DEFAULT 'pending'
                        CHECK (delivery_status IN ('pending', 'delivered', 'refused', 'failed', 'suppressed',
                                                   'not_needed')),
    delivery_reason     TEXT NOT NULL DEFAULT '',
    delivery_attempts   INTEGER NOT NULL DEFAULT 0,
    content_purged_at   TEXT,
    UNIQUE (platform, community_id, message_id, revision)
);
-- The committee's list filters on one community plus status, clause, author or channel, newest first. The
-- indexes end in created_at ascending (and, implicitly, the rowid), so SQLite walks them backwards for
-- "ORDER BY created_at DESC, id DESC" and stops after one page without sorting.
CREATE INDEX incidents_by_status ON incidents (platform, community_id, status, created_at);
CREATE INDEX incidents_by_clause ON incidents (platform, community_id, primary_clause, created_at);
CREATE INDEX incidents_by_author ON incidents (platform, community_id, author_id, created_at);
CREATE INDEX incidents_by_channel ON incidents (platform, community_id, channel_id, created_at);
CREATE INDEX incidents_by_time ON incidents (platform, community_id, created_at);
CREATE INDEX incidents_pending ON incidents (delivery_status) WHERE delivery_status = 'pending';
-- The retention purge looks only at rows whose content is still there.
CREATE INDEX incidents_unpurged ON incidents (created_at) WHERE content_purged_at IS NULL;

CREATE TABLE incident_events (
    id                  INTEGER PRIMARY KEY,
    incident_id         INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    actor_id            TEXT NOT NULL,                 -- a user id, or 'nudgebot'
    action              TEXT NOT NULL,
    note                TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, created_at);

CREATE TABLE escalations (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    author_id           TEXT NOT NULL,
    target_id           TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reviewed', 'closed')),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX escalations_open_pair ON escalations (platform, community_id, author_id, target_id, status);

CREATE TABLE escalation_incidents (
    escalation_id       INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    incident_id         INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    PRIMARY KEY (escalation_id, incident_id)
);

CREATE TABLE feedback (
    id                  INTEGER PRIMARY KEY,
    incident_id         INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('fixed', 'mistake')),
    note                TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL
);
CREATE INDEX feedback_by_incident ON feedback (incident_id);
