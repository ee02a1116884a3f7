-- The similarity cache by embedding: an entry keeps its message's embedding (float32, little
-- endian) and the model that made it; its random-hyperplane band keys go into coaching_cache_bands
-- beside the MinHash ones, so a look-up stays a few index reads whatever the cache size.
ALTER TABLE realtime_coaching_cache ADD COLUMN IF NOT EXISTS embedding BLOB NULL;
ALTER TABLE realtime_coaching_cache ADD COLUMN IF NOT EXISTS embedding_model VARCHAR(100) NULL;
-- What each worker last saw of the embeddings server (off, ok, no_classifier or an error kind), for health.
ALTER TABLE coaching_workers ADD COLUMN IF NOT EXISTS embeddings VARCHAR(32) NULL;
