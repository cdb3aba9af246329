-- Several processes on one store (issue 17): a nudge is claimed in the database by the process sending it
-- (claimed_by until claimed_until, a lease that lapses if that process dies), the daily purge is claimed once
-- per day, and a pair of author and target has at most one open escalation however many processes see them.

ALTER TABLE incidents ADD COLUMN claimed_by TEXT;
ALTER TABLE incidents ADD COLUMN claimed_until TEXT;

CREATE TABLE daily_jobs (
    job                 TEXT NOT NULL,                 -- 'purge'
    day                 TEXT NOT NULL,                 -- UTC date, 2026-12-01
    claimed_by          TEXT NOT NULL,
    claimed_at          TEXT NOT NULL,
    PRIMARY KEY (job, day)
);

CREATE UNIQUE INDEX escalations_one_open ON escalations (platform, community_id, author_id, target_id)
    WHERE status = 'open';
