-- The analysis pipeline: a leased queue on the original coaching_queue (additive columns only, so
-- the original listener's INSERT naming message_id, conversation_id, agent_id, status still works),
-- intake de-duplication across the three doors, limits and budgets shared by every process, the
-- LLM call ledger with its daily rollup, and worker heartbeats.

ALTER TABLE coaching_queue
    ADD COLUMN IF NOT EXISTS source VARCHAR(16) NOT NULL DEFAULT 'listener',
    ADD COLUMN IF NOT EXISTS enqueued_at TIMESTAMP(3) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS available_at TIMESTAMP(3) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS locked_until TIMESTAMP(3) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS locked_by VARCHAR(64) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS outcome VARCHAR(40) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS hint_id INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS merged_into INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS finished_at TIMESTAMP(3) NULL DEFAULT NULL;

CREATE INDEX IF NOT EXISTS idx_cq_claim ON coaching_queue (status, available_at);
CREATE INDEX IF NOT EXISTS idx_cq_message ON coaching_queue (message_id);
CREATE INDEX IF NOT EXISTS idx_cq_conversation_status ON coaching_queue (conversation_id, status);
CREATE INDEX IF NOT EXISTS idx_cq_locked ON coaching_queue (status, locked_until);

-- One row per message that entered the queue, whichever door it came through: the primary key is
-- what makes "queued once" hold across doors and processes.
CREATE TABLE IF NOT EXISTS coaching_message_intake (
    message_id INT NOT NULL PRIMARY KEY,
    queue_id INT NOT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Persisted cursors (the messages-table watcher's last seen id).
CREATE TABLE IF NOT EXISTS coaching_cursors (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    position BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Analyses started per second, summed over the last 60 rows for max_analyses_per_minute.
CREATE TABLE IF NOT EXISTS coaching_rate_seconds (
    second_epoch BIGINT NOT NULL PRIMARY KEY,
    analyses INT NOT NULL DEFAULT 0
) ENGINE=InnoDB;

-- Last analysis start per agent, for min_interval_between_analyses.
CREATE TABLE IF NOT EXISTS coaching_agent_limits (
    agent_id INT NOT NULL PRIMARY KEY,
    last_analysis_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB;

-- Spend per window (hour and day), with money reserved by calls still in flight.
CREATE TABLE IF NOT EXISTS coaching_budget_windows (
    window_kind VARCHAR(8) NOT NULL,
    window_start DATETIME NOT NULL,
    reserved DECIMAL(14,6) NOT NULL DEFAULT 0,
    spent DECIMAL(14,6) NOT NULL DEFAULT 0,
    PRIMARY KEY (window_kind, window_start)
) ENGINE=InnoDB;

-- Serialises limit and budget decisions across processes (one short row lock).
CREATE TABLE IF NOT EXISTS coaching_mutex (
    name VARCHAR(32) NOT NULL PRIMARY KEY
) ENGINE=InnoDB;
INSERT IGNORE INTO coaching_mutex (name) VALUES ('rate'), ('budget');

-- One row per LLM call, including calls that produced no hint, invalid output or an error.
CREATE TABLE IF NOT EXISTS coaching_llm_calls (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    queue_id INT NULL,
    message_id INT NULL,
    conversation_id INT NULL,
    agent_id INT NULL,
    provider VARCHAR(16) NOT NULL,
    model VARCHAR(64) NOT NULL,
    variant VARCHAR(64) NOT NULL DEFAULT 'default',
    prompt_tokens INT NOT NULL DEFAULT 0,
    completion_tokens INT NOT NULL DEFAULT 0,
    reserved_cost DECIMAL(12,6) NOT NULL DEFAULT 0,
    cost DECIMAL(12,6) NOT NULL DEFAULT 0,
    latency_ms INT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'reserved',
    outcome VARCHAR(32) NULL,
    error TEXT NULL,
    hour_window DATETIME NOT NULL,
    day_window DATE NOT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    settled_at TIMESTAMP(3) NULL,
    INDEX idx_clc_created (created_at),
    INDEX idx_clc_status (status, created_at),
    INDEX idx_clc_queue (queue_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Daily rollup (date × model × variant), written in the same transaction as each settled call.
CREATE TABLE IF NOT EXISTS coaching_cost_daily (
    day DATE NOT NULL,
    model VARCHAR(64) NOT NULL,
    variant VARCHAR(64) NOT NULL DEFAULT 'default',
    calls INT NOT NULL DEFAULT 0,
    prompt_tokens BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    cost DECIMAL(14,6) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, model, variant)
) ENGINE=InnoDB;

-- Which worker processes are alive, for /coaching/health.
CREATE TABLE IF NOT EXISTS coaching_workers (
    worker_id VARCHAR(64) NOT NULL PRIMARY KEY,
    host VARCHAR(255) NOT NULL,
    pid INT NOT NULL,
    started_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    heartbeat_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    in_flight INT NOT NULL DEFAULT 0,
    circuit VARCHAR(16) NOT NULL DEFAULT 'closed'
) ENGINE=InnoDB;

ALTER TABLE realtime_coaching_hints
    ADD COLUMN IF NOT EXISTS queue_id INT NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS source VARCHAR(16) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS variant VARCHAR(64) NULL DEFAULT NULL;

-- Never two hints for one message: enforced by the database, not by hope.
CREATE TABLE IF NOT EXISTS coaching_hint_messages (
    message_id INT NOT NULL PRIMARY KEY,
    hint_id INT NOT NULL
) ENGINE=InnoDB;

