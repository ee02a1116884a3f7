-- The shared cache: the original table plus the columns similarity lookup needs. Similar messages
-- are found through MinHash band keys (an index lookup), so lookup cost does not grow with the cache.
ALTER TABLE realtime_coaching_cache
    ADD COLUMN IF NOT EXISTS scope_hash VARCHAR(64) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS normalized_text TEXT NULL,
    ADD COLUMN IF NOT EXISTS has_hint TINYINT(1) NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS hits INT NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS coaching_cache_bands (
    band_hash BIGINT NOT NULL,
    cache_id INT NOT NULL,
    PRIMARY KEY (band_hash, cache_id),
    INDEX idx_ccb_cache (cache_id)
) ENGINE=InnoDB;
