-- Members who refused a nudge because they take no private messages (Discord 50007; Slack refusing both the
-- ephemeral note and the DM), remembered until `until` so that no process asks the platform again meanwhile
-- (each refused Discord DM counts toward the invalid-request limit that bans an address). Expired rows are
-- deleted by the daily purge.

CREATE TABLE closed_dms (
    platform            TEXT NOT NULL,
    community_id        TEXT NOT NULL,
    member_id           TEXT NOT NULL,
    until               TEXT NOT NULL,                 -- UTC, ISO 8601
    PRIMARY KEY (platform, community_id, member_id)
);
