-- Union-wide deployment (issue 17): two things several processes on one store must agree on.
--
-- 1. Discord's invalid-request limit is per IP address, not per process: every process sharing this store adds
--    the invalid answers it saw (401, 403, 429) to the minute they fell in, and each reads the sum over the last
--    ten minutes to decide whether to hold back (bot.request_budget). Rows older than the window are deleted as
--    the counts are added; they hold counts only.
CREATE TABLE invalid_requests (
    minute              BIGINT PRIMARY KEY,            -- Unix time // 60
    answers             BIGINT NOT NULL
);

-- 2. A shadow-tier match is kept once per message, revision and rule, like an incident: replaying an audit of
--    one export, or the audit running beside the live bot, no longer counts it twice. Rows from before this
--    migration have no message id (NULL never conflicts) and stay as they were.
ALTER TABLE shadow_matches ADD COLUMN message_id TEXT;
ALTER TABLE shadow_matches ADD COLUMN revision BIGINT;
CREATE UNIQUE INDEX shadow_matches_once ON shadow_matches (platform, community_id, message_id, revision, rule_id);
