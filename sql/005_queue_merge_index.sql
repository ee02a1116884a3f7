-- Looking up the messages folded into an analysis (and moving them on to a later one) must not scan
-- the queue's history: index merged_into.
CREATE INDEX IF NOT EXISTS idx_cq_merged_into ON coaching_queue (merged_into);
