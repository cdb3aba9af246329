-- Tiers (issue 12): an incident may be held for the committee's review with nobody nudged (status 'review'),
-- every incident remembers the tier it was recorded at (so the report and the rule statistics can count the
-- held ones after the committee has decided), and shadow-tier matches of rules on trial are kept for the
-- committee's rule statistics: rule, community, time and a masked sample only, never the message or its author.
--
-- SQLite cannot change a CHECK constraint in place, so `incidents` is rebuilt (the documented create, copy,
-- drop, rename procedure; foreign keys are off on the migration connection, so nothing cascades).

CREATE TABLE incidents_new (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    channel_id          TEXT NOT NULL,
    message_id          TEXT NOT NULL,
    revision            INTEGER NOT NULL DEFAULT 0,
    permalink           TEXT NOT NULL DEFAULT '',
    author_id           TEXT NOT NULL,
    author_name         TEXT NOT NULL DEFAULT '',
    targets             TEXT NOT NULL DEFAULT '[]',
    clauses             TEXT NOT NULL,
    primary_clause      TEXT NOT NULL,
    rules               TEXT NOT NULL,
    severity            TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    excerpt             TEXT NOT NULL,
    content             TEXT,
    created_at          TEXT NOT NULL,
    recorded_at         TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'review', 'confirmed', 'dismissed', 'escalated', 'resolved',
                                          'corrected')),
    delivery_status     TEXT NOT NULL DEFAULT 'pending'
                        CHECK (delivery_status IN ('pending', 'delivered', 'refused', 'failed', 'suppressed',
                                                   'not_needed')),
    delivery_reason     TEXT NOT NULL DEFAULT '',
    delivery_attempts   INTEGER NOT NULL DEFAULT 0,
    content_purged_at   TEXT,
    tier                TEXT NOT NULL DEFAULT 'nudge' CHECK (tier IN ('nudge', 'review')),
    UNIQUE (platform, community_id, message_id, revision)
);
INSERT INTO incidents_new (id, platform, community_id, channel_id, message_id, revision, permalink, author_id,
        author_name, targets, clauses, primary_clause, rules, severity, excerpt, content, created_at, recorded_at,
        status, delivery_status, delivery_reason, delivery_attempts, content_purged_at)
    SELECT id, platform, community_id, channel_id, message_id, revision, permalink, author_id, author_name,
        targets, clauses, primary_clause, rules, severity, excerpt, content, created_at, recorded_at, status,
        delivery_status, delivery_reason, delivery_attempts, content_purged_at FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE INDEX incidents_by_status ON incidents (platform, community_id, status, created_at);
CREATE INDEX incidents_by_clause ON incidents (platform, community_id, primary_clause, created_at);
CREATE INDEX incidents_by_author ON incidents (platform, community_id, author_id, created_at);
CREATE INDEX incidents_by_channel ON incidents (platform, community_id, channel_id, created_at);
CREATE INDEX incidents_by_time ON incidents (platform, community_id, created_at);
CREATE INDEX incidents_pending ON incidents (delivery_status) WHERE delivery_status = 'pending';
CREATE INDEX incidents_unpurged ON incidents (created_at) WHERE content_purged_at IS NULL;

CREATE TABLE shadow_matches (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    rule_id             TEXT NOT NULL,
    clause              TEXT NOT NULL,
    sample              TEXT NOT NULL,                 -- the few words around the match, offending words masked
    matched_at          TEXT NOT NULL
);
CREATE INDEX shadow_matches_by_rule ON shadow_matches (platform, community_id, rule_id, matched_at);
CREATE INDEX shadow_matches_by_time ON shadow_matches (matched_at);
