-- The admin page's outcome breakdown and analyses per minute read the queue rows finished in a
-- window; this index keeps that a range read however long the queue's history grows (the outcome
-- is in the index, so the counts never touch the rows).
CREATE INDEX IF NOT EXISTS idx_cq_finished ON coaching_queue (finished_at, outcome);
