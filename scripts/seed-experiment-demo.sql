-- Demo data for the A/B experiment `coach-style` (prompts/experiments/coach-style.json): twenty
-- demo agents split between its two variants, two weeks of hints with simulated views, ratings,
-- suggestion use and model calls, and the outcome of each coached conversation. Deterministic
-- (pseudo-random from CRC32 of the row number) and idempotent (fixed ids, INSERT IGNORE).
-- Uses the Sequence engine's seq_A_to_B tables, built into MariaDB.

INSERT IGNORE INTO users (id, name, email, role, status)
SELECT seq, CONCAT('Agente demo ', seq), CONCAT('demo', seq, '@example.com'), 'agent', 'active' FROM seq_11_to_30;

INSERT IGNORE INTO coaching_experiments (experiment_key, status, started_at)
VALUES ('coach-style', 'running', NOW() - INTERVAL 14 DAY);

-- Even agents got the question-led coach, odd ones the concise control.
INSERT IGNORE INTO coaching_experiment_assignments (experiment_key, agent_id, variant, bucket, method, assigned_at)
SELECT 'coach-style', seq, IF(seq % 2 = 0, 'question_led', 'concise'), seq * 97 % 10000, 'hash', NOW() - INTERVAL 14 DAY
FROM seq_11_to_30;

-- 400 coached conversations; how each ended is in the chat system's own status column.
INSERT IGNORE INTO conversations (id, contact_id, agent_id, status, created_at)
SELECT 1000 + seq, 5000 + seq, 11 + seq % 20,
       ELT(1 + CRC32(CONCAT('end', seq)) % IF((11 + seq % 20) % 2 = 0, 9, 10),
           'won', 'won', 'won', 'lost', 'lost', 'resolved', 'abandoned', 'open', 'won', 'lost'),
       NOW() - INTERVAL (CRC32(CONCAT('day', seq)) % 14) DAY - INTERVAL 2 HOUR
FROM seq_1_to_400;

-- Sale values for the won ones, as the chat application reports them through POST /coaching/outcomes.
INSERT IGNORE INTO coaching_conversation_outcomes (conversation_id, outcome, value, source)
SELECT id, 'won', 300 + (id * 37) % 1700, 'api' FROM conversations WHERE id BETWEEN 1001 AND 1400 AND status = 'won';

-- Three hints per conversation. Agents differ (some rate more, some like hints more) so that the
-- interval that clusters by agent is visibly wider than a naive one.
INSERT IGNORE INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used, tokens_used, cost,
     viewed_at, feedback, created_at, latency_ms, source, variant, experiment_key)
SELECT 100000 + h.seq, h.conversation_id, h.agent_id, NULL, h.hint_type,
       ELT(FIELD(h.hint_type, 'objection', 'opportunity', 'question', 'negative_sentiment', 'buying_signal',
                 'closing_opportunity', 'escalation_needed'),
           'Objeção de preço: mostre o valor antes de falar em desconto.',
           'Abertura para oferecer o plano anual com suporte incluído.',
           'Pergunta importante sobre prazo de entrega: responda com a data exata.',
           'Cliente irritado com a demora: peça desculpas e dê um próximo passo concreto.',
           'Sinal de compra: confirme a forma de pagamento.',
           'Momento de fechar: envie o link de pagamento agora.',
           'Pedido de gerente: acione o supervisor.'),
       '["Posso te mostrar o que está incluído?", "Qual é a sua prioridade hoje?"]',
       'gpt-4o-mini', 420 + h.seq % 80, 0.000120 + (h.seq % 40) / 1000000, 
       IF(h.u1 < 85, h.created_at + INTERVAL 20 SECOND, NULL),
       IF(h.u2 < h.rate_share, IF(h.u3 < h.helpful_share, 'helpful', 'not_helpful'), NULL),
       h.created_at, IF(h.variant = 'concise', 650, 820) + CRC32(CONCAT('lat', h.seq)) % 600, 'llm', h.variant, 'coach-style'
FROM (
    SELECT s.seq, 1000 + (s.seq - 1) % 400 + 1 AS conversation_id, c.agent_id,
           IF(c.agent_id % 2 = 0, 'question_led', 'concise') AS variant,
           ELT(1 + CRC32(CONCAT('type', s.seq)) % 7, 'objection', 'opportunity', 'question', 'negative_sentiment',
               'buying_signal', 'closing_opportunity', 'escalation_needed') AS hint_type,
           c.created_at + INTERVAL (s.seq % 90) MINUTE AS created_at,
           CRC32(CONCAT('view', s.seq)) % 100 AS u1,
           CRC32(CONCAT('rate', s.seq)) % 100 AS u2,
           CRC32(CONCAT('help', s.seq)) % 100 AS u3,
           35 + (c.agent_id * 7) % 30 AS rate_share,
           IF(c.agent_id % 2 = 0, 60, 50) + (c.agent_id * 13) % 21 - 10 AS helpful_share
    FROM seq_1_to_1200 s
    JOIN conversations c ON c.id = 1000 + (s.seq - 1) % 400 + 1
) h;

INSERT IGNORE INTO coaching_hint_events (id, hint_id, agent_id, event, detail, created_at)
SELECT 100000 + id, id, agent_id, 'suggestion_used', '{"suggestion_index":0}', created_at + INTERVAL 30 SECOND
FROM realtime_coaching_hints
WHERE id BETWEEN 100001 AND 101200 AND viewed_at IS NOT NULL
  AND CRC32(CONCAT('use', id)) % 100 < IF(variant = 'question_led', 45, 32);

-- The model calls behind them: one per hint, plus the calls that found nothing to coach or
-- answered with invalid output.
INSERT IGNORE INTO coaching_llm_calls
    (id, conversation_id, agent_id, provider, model, variant, experiment_key, prompt_tokens, completion_tokens,
     reserved_cost, cost, latency_ms, status, outcome, hour_window, day_window, created_at, settled_at)
SELECT id, conversation_id, agent_id, 'openai', 'gpt-4o-mini', variant, 'coach-style', tokens_used - 90, 90,
       cost, cost, latency_ms, 'settled', 'hint', DATE_FORMAT(created_at, '%Y-%m-%d %H:00:00'), DATE(created_at),
       created_at, created_at
FROM realtime_coaching_hints WHERE id BETWEEN 100001 AND 101200;

INSERT IGNORE INTO coaching_llm_calls
    (id, conversation_id, agent_id, provider, model, variant, experiment_key, prompt_tokens, completion_tokens,
     reserved_cost, cost, latency_ms, status, outcome, error, hour_window, day_window, created_at, settled_at)
SELECT 200000 + h.id, h.conversation_id, h.agent_id, 'openai', 'gpt-4o-mini', h.variant, 'coach-style', 380, 20,
       0.000070, 0.000070, h.latency_ms - 200, 'settled',
       IF(CRC32(CONCAT('inv', h.id)) % 100 < 4, 'invalid', 'no_hint'),
       IF(CRC32(CONCAT('inv', h.id)) % 100 < 4, 'hint_text longer than 280 characters', NULL),
       DATE_FORMAT(h.created_at, '%Y-%m-%d %H:00:00'), DATE(h.created_at), h.created_at - INTERVAL 5 MINUTE,
       h.created_at - INTERVAL 5 MINUTE
FROM realtime_coaching_hints h
WHERE h.id BETWEEN 100001 AND 101200 AND CRC32(CONCAT('none', h.id)) % 100 < IF(h.variant = 'concise', 45, 30);

-- The daily rollup always equals the ledger; rebuilt for the demo's model.
INSERT INTO coaching_cost_daily (day, model, variant, calls, prompt_tokens, completion_tokens, cost)
SELECT day_window, model, variant, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost)
FROM coaching_llm_calls WHERE model = 'gpt-4o-mini' AND status = 'settled'
GROUP BY day_window, model, variant
ON DUPLICATE KEY UPDATE calls = VALUES(calls), prompt_tokens = VALUES(prompt_tokens),
    completion_tokens = VALUES(completion_tokens), cost = VALUES(cost);
