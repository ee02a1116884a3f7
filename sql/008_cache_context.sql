-- Hints that depend on the conversation so far (a question to answer, a closing moment, a call to
-- escalate, or a short reply with no hint) are reused only where the last turns are the same: the
-- cache entry remembers a hash of those turns.
ALTER TABLE realtime_coaching_cache ADD COLUMN IF NOT EXISTS context_hash CHAR(64) NULL;
