-- A/B prompt experiments. Definitions (variants, weights, control) live in prompts/experiments/;
-- the database holds what must be the same for every process and survive restarts: each
-- experiment's state, the sticky per-agent assignments, and which variant produced each hint.

CREATE TABLE IF NOT EXISTS coaching_experiments (
    experiment_key VARCHAR(64) NOT NULL PRIMARY KEY,
    status VARCHAR(16) NOT NULL DEFAULT 'running',
    winner VARCHAR(64) NULL DEFAULT NULL,
    started_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    concluded_at TIMESTAMP(3) NULL DEFAULT NULL,
    updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- First use wins: a row is never updated, so a later weight change cannot move an assigned agent.
CREATE TABLE IF NOT EXISTS coaching_experiment_assignments (
    experiment_key VARCHAR(64) NOT NULL,
    agent_id INT NOT NULL,
    variant VARCHAR(64) NOT NULL,
    bucket INT NOT NULL,
    method VARCHAR(16) NOT NULL DEFAULT 'hash',
    assigned_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (experiment_key, agent_id),
    INDEX idx_cea_variant (experiment_key, variant)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE realtime_coaching_hints
    ADD COLUMN IF NOT EXISTS experiment_key VARCHAR(64) NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS template_hash VARCHAR(16) NULL DEFAULT NULL;
CREATE INDEX IF NOT EXISTS idx_rch_experiment
    ON realtime_coaching_hints (experiment_key, variant, created_at);

ALTER TABLE coaching_llm_calls
    ADD COLUMN IF NOT EXISTS experiment_key VARCHAR(64) NULL DEFAULT NULL;
CREATE INDEX IF NOT EXISTS idx_clc_experiment
    ON coaching_llm_calls (experiment_key, variant);

-- The business outcome of a conversation, reported by the chat application or read from the
-- conversations table's status. One row per conversation; the latest report wins.
CREATE TABLE IF NOT EXISTS coaching_conversation_outcomes (
    conversation_id INT NOT NULL PRIMARY KEY,
    outcome VARCHAR(16) NOT NULL,
    value DECIMAL(14,2) NULL DEFAULT NULL,
    source VARCHAR(16) NOT NULL DEFAULT 'api',
    recorded_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
