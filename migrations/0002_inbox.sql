-- Messages received faster than they can be moderated, beyond what the bot keeps in memory, and the messages still
-- waiting when it stopped: moderated in arrival order, then deleted. Rows live only until moderation.
CREATE TABLE inbox (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT NOT NULL,
    event               TEXT NOT NULL,      -- the message as JSON (bot.inbox.event_to_json)
    received_at         TEXT NOT NULL
);

CREATE INDEX inbox_by_platform ON inbox (platform, id);
