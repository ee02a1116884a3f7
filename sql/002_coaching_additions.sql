-- Additive structures of this product. Only new tables, new indexes and new columns with defaults,
-- so the original application's statements keep working unchanged.

CREATE INDEX IF NOT EXISTS idx_rch_conv_agent_created
    ON realtime_coaching_hints (conversation_id, agent_id, created_at);

CREATE INDEX IF NOT EXISTS idx_rch_agent_created
    ON realtime_coaching_hints (agent_id, created_at);

ALTER TABLE realtime_coaching_hints
    ADD COLUMN IF NOT EXISTS latency_ms INT NULL DEFAULT NULL;

-- Everything an agent did with a hint, with time and actor; the original kept only the last feedback
-- and lost "suggestion used" entirely.
CREATE TABLE IF NOT EXISTS coaching_hint_events (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    hint_id INT NOT NULL,
    agent_id INT NOT NULL,
    event VARCHAR(32) NOT NULL,
    detail JSON NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_che_hint (hint_id, event),
    INDEX idx_che_agent_created (agent_id, created_at),
    INDEX idx_che_event_created (event, created_at),
    CONSTRAINT fk_che_hint FOREIGN KEY (hint_id) REFERENCES realtime_coaching_hints(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Whether an agent is typing in a conversation; read by the analysis worker in any process.
CREATE TABLE IF NOT EXISTS coaching_typing_state (
    agent_id INT NOT NULL,
    conversation_id INT NOT NULL,
    is_typing TINYINT(1) NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (agent_id, conversation_id),
    INDEX idx_cts_conversation (conversation_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
