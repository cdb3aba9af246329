-- As ../0003_names.sql (SQLite); the same table on PostgreSQL.
-- Display names of the members and channels an incident or escalation refers to, as the platform or a chat
-- export gave them, so the committee reads "toward Sam in #general" rather than raw ids. Kept only for ids the
-- incidents name; a member's row goes with their erasure.

CREATE TABLE names (
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('member', 'channel', 'community')),
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    updated_at          TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (platform, community_id, kind, id)
);
