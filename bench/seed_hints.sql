-- Benchmark data set for the polling route: 200 agents, 20,000 conversations (100 per agent),
-- 60,000 messages (3 per conversation) and 1,000,000 hint rows.
--
-- Layout (fixed ids, so bench/poll_bench.sh can derive valid pairs without asking the database):
--   users               id 1..200, role agent
--   conversations       id c = 1..20000, agent_id = ((c - 1) % 200) + 1
--                       (agent a owns conversations a, a + 200, a + 400, ..., a + 19800)
--   messages            3 per conversation: ids 3c-2 (contact), 3c-1 (agent), 3c (contact)
--   hints 1..985000     spread evenly over all conversations (about 49 each), created_at
--                       spread over the last 30 days (all at least one hour old)
--   hints 985001..1e6   "recent" hints: 3 for each of 5,000 conversations, namely the conversations
--                       c with ((c - 1) DIV 200) % 4 = 0, i.e. 25 of each agent's 100 conversations
--                       (c = 800 q + a, q = 0..24). bench/poll_bench.sh moves their created_at into
--                       the last few seconds before every polling run (see the UPDATE at the end).
--
-- This file empties the tables it fills: run it only against the benchmark database.
-- Runs in well under a minute on 2 cores (MariaDB 10.11, Sequence engine tables seq_1_to_N).

SET SESSION foreign_key_checks = 0;
SET SESSION unique_checks = 0;

TRUNCATE TABLE coaching_hint_events;
TRUNCATE TABLE realtime_coaching_hints;
-- Emptying messages restarts its ids, so everything that names a message id goes too: a later run
-- must not find an earlier run's intake claim on a reissued id.
TRUNCATE TABLE coaching_message_intake;
TRUNCATE TABLE coaching_queue;
DELETE FROM coaching_cursors WHERE name = 'messages';
TRUNCATE TABLE messages;
TRUNCATE TABLE conversations;
TRUNCATE TABLE users;

-- 200 agents ---------------------------------------------------------------------------------------
INSERT INTO users (id, name, email, password, role, status)
SELECT seq, CONCAT('Bench Agent ', seq), CONCAT('bench-agent-', seq, '@example.com'), NULL, 'agent', 'active'
FROM seq_1_to_200;

-- 20,000 conversations, each assigned to one agent -------------------------------------------------
INSERT INTO conversations (id, contact_id, agent_id, status, created_at, updated_at)
SELECT seq, 100000 + seq, ((seq - 1) % 200) + 1, 'open',
       NOW() - INTERVAL (seq % 30) DAY, NOW() - INTERVAL (seq % 600) SECOND
FROM seq_1_to_20000;

-- 60,000 messages: customer, agent, customer -------------------------------------------------------
INSERT INTO messages (id, conversation_id, sender_type, sender_id, content, message_type, created_at)
SELECT seq,
       (seq + 2) DIV 3,
       IF((seq - 1) % 3 = 1, 'agent', 'contact'),
       IF((seq - 1) % 3 = 1, ((((seq + 2) DIV 3) - 1) % 200) + 1, 100000 + ((seq + 2) DIV 3)),
       IF((seq - 1) % 3 = 1,
          ELT(1 + seq % 4,
              'Olá! Posso ajudar com o plano anual, ele custa R$ 1.200 e inclui suporte.',
              'Hi! Thanks for reaching out, let me check that for you right away.',
              'Entendo. Vou verificar o status do seu pedido agora mesmo.',
              'Sure, the premium plan includes phone support from 8am to 8pm.'),
          ELT(1 + seq % 6,
              'Olá, queria saber o preço do plano anual. Achei caro, o concorrente cobra bem menos.',
              'I have been waiting for a week and nobody answers me. This is unacceptable.',
              'Perfeito, como faço para assinar hoje? Aceitam cartão?',
              'Does the premium plan include phone support? We have a team of 40 people.',
              'Vocês têm desconto para pagamento à vista? Preciso fechar ainda este mês.',
              'Quero falar com um gerente agora, já é a terceira vez que entro em contato.')),
       'text',
       NOW() - INTERVAL (3600 + (seq * 104729) % 2592000) SECOND
FROM seq_1_to_60000;

-- 985,000 older hints, in chunks so no single transaction grows too large --------------------------
-- hint i: conversation ((i - 1) % 20000) + 1, its agent, one of its two customer messages.
CREATE TEMPORARY TABLE bench_hint_text (
    k INT PRIMARY KEY,
    hint_type VARCHAR(50) NOT NULL,
    hint_text VARCHAR(500) NOT NULL,
    suggestions VARCHAR(1000) NOT NULL
) ENGINE=MEMORY;
INSERT INTO bench_hint_text VALUES
 (0, 'objection', 'O cliente compara preço com a concorrência: mostre o valor, não o desconto.',
     '["Entendo! Posso mostrar o que está incluído e o concorrente não oferece?", "Qual recurso é mais importante para você?"]'),
 (1, 'negative_sentiment', 'Customer is frustrated by the delay: apologise and give a concrete next step.',
     '["I am sorry for the wait. I will personally follow up on this today.", "Can you share your order number so I can check right now?"]'),
 (2, 'buying_signal', 'Sinal claro de compra: conduza ao fechamento agora.',
     '["Ótimo! Envio o link de pagamento agora mesmo?", "Prefere cartão ou boleto?"]'),
 (3, 'question', 'Key question about what the plan includes: answer precisely and confirm team size.',
     '["Yes, premium includes phone support from 8am to 8pm.", "How many seats would your team need?"]'),
 (4, 'opportunity', 'Pergunta sobre desconto à vista: oportunidade de fechar com condição especial.',
     '["Temos 10% de desconto no pagamento à vista. Quer que eu prepare a proposta?"]'),
 (5, 'escalation_needed', 'Cliente pede gerente pela terceira vez: acione o supervisor.',
     '["Vou chamar meu supervisor agora mesmo para te atender.", "Peço desculpas pela demora, vou resolver isso pessoalmente."]'),
 (6, 'closing_opportunity', 'The customer agreed on price and scope: propose a start date.',
     '["Shall we start on Monday?", "I can send the contract today, does that work for you?"]');

INSERT INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used,
     tokens_used, cost, viewed_at, feedback, created_at)
SELECT s.seq,
       ((s.seq - 1) % 20000) + 1,
       ((s.seq - 1) % 200) + 1,
       3 * ((s.seq - 1) % 20000) + IF(s.seq % 2 = 0, 1, 3),
       t.hint_type, t.hint_text, t.suggestions,
       IF(s.seq % 3 = 0, 'gpt-4o', 'gpt-4o-mini'),
       200 + s.seq % 400,
       (200 + s.seq % 400) * 0.0000006,
       IF(s.seq % 2 = 0, NOW() - INTERVAL 3000 SECOND, NULL),
       ELT(1 + s.seq % 5, 'helpful', 'not_helpful', NULL, NULL, NULL),
       NOW() - INTERVAL (3600 + (s.seq * 7919) % 2588400) SECOND
FROM seq_1_to_200000 s JOIN bench_hint_text t ON t.k = s.seq % 7;

INSERT INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used,
     tokens_used, cost, viewed_at, feedback, created_at)
SELECT s.seq,
       ((s.seq - 1) % 20000) + 1,
       ((s.seq - 1) % 200) + 1,
       3 * ((s.seq - 1) % 20000) + IF(s.seq % 2 = 0, 1, 3),
       t.hint_type, t.hint_text, t.suggestions,
       IF(s.seq % 3 = 0, 'gpt-4o', 'gpt-4o-mini'),
       200 + s.seq % 400,
       (200 + s.seq % 400) * 0.0000006,
       IF(s.seq % 2 = 0, NOW() - INTERVAL 3000 SECOND, NULL),
       ELT(1 + s.seq % 5, 'helpful', 'not_helpful', NULL, NULL, NULL),
       NOW() - INTERVAL (3600 + (s.seq * 7919) % 2588400) SECOND
FROM seq_200001_to_400000 s JOIN bench_hint_text t ON t.k = s.seq % 7;

INSERT INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used,
     tokens_used, cost, viewed_at, feedback, created_at)
SELECT s.seq,
       ((s.seq - 1) % 20000) + 1,
       ((s.seq - 1) % 200) + 1,
       3 * ((s.seq - 1) % 20000) + IF(s.seq % 2 = 0, 1, 3),
       t.hint_type, t.hint_text, t.suggestions,
       IF(s.seq % 3 = 0, 'gpt-4o', 'gpt-4o-mini'),
       200 + s.seq % 400,
       (200 + s.seq % 400) * 0.0000006,
       IF(s.seq % 2 = 0, NOW() - INTERVAL 3000 SECOND, NULL),
       ELT(1 + s.seq % 5, 'helpful', 'not_helpful', NULL, NULL, NULL),
       NOW() - INTERVAL (3600 + (s.seq * 7919) % 2588400) SECOND
FROM seq_400001_to_600000 s JOIN bench_hint_text t ON t.k = s.seq % 7;

INSERT INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used,
     tokens_used, cost, viewed_at, feedback, created_at)
SELECT s.seq,
       ((s.seq - 1) % 20000) + 1,
       ((s.seq - 1) % 200) + 1,
       3 * ((s.seq - 1) % 20000) + IF(s.seq % 2 = 0, 1, 3),
       t.hint_type, t.hint_text, t.suggestions,
       IF(s.seq % 3 = 0, 'gpt-4o', 'gpt-4o-mini'),
       200 + s.seq % 400,
       (200 + s.seq % 400) * 0.0000006,
       IF(s.seq % 2 = 0, NOW() - INTERVAL 3000 SECOND, NULL),
       ELT(1 + s.seq % 5, 'helpful', 'not_helpful', NULL, NULL, NULL),
       NOW() - INTERVAL (3600 + (s.seq * 7919) % 2588400) SECOND
FROM seq_600001_to_800000 s JOIN bench_hint_text t ON t.k = s.seq % 7;

INSERT INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used,
     tokens_used, cost, viewed_at, feedback, created_at)
SELECT s.seq,
       ((s.seq - 1) % 20000) + 1,
       ((s.seq - 1) % 200) + 1,
       3 * ((s.seq - 1) % 20000) + IF(s.seq % 2 = 0, 1, 3),
       t.hint_type, t.hint_text, t.suggestions,
       IF(s.seq % 3 = 0, 'gpt-4o', 'gpt-4o-mini'),
       200 + s.seq % 400,
       (200 + s.seq % 400) * 0.0000006,
       IF(s.seq % 2 = 0, NOW() - INTERVAL 3000 SECOND, NULL),
       ELT(1 + s.seq % 5, 'helpful', 'not_helpful', NULL, NULL, NULL),
       NOW() - INTERVAL (3600 + (s.seq * 7919) % 2588400) SECOND
FROM seq_800001_to_985000 s JOIN bench_hint_text t ON t.k = s.seq % 7;

-- 15,000 recent hints: 3 for each of 5,000 conversations (25 per agent) ---------------------------
-- j = 1..15000: idx = (j - 1) DIV 3 in 0..4999, agent a = idx % 200 + 1, q = idx DIV 200,
-- conversation c = 800 q + a (owned by agent a), message = its latest customer message 3c.
INSERT INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used,
     tokens_used, cost, viewed_at, feedback, created_at)
SELECT 985000 + s.seq,
       800 * (((s.seq - 1) DIV 3) DIV 200) + (((s.seq - 1) DIV 3) % 200) + 1,
       (((s.seq - 1) DIV 3) % 200) + 1,
       3 * (800 * (((s.seq - 1) DIV 3) DIV 200) + (((s.seq - 1) DIV 3) % 200) + 1),
       t.hint_type, t.hint_text, t.suggestions,
       'gpt-4o-mini', 350, 0.000210, NULL, NULL,
       NOW() - INTERVAL ((s.seq - 1) % 3) * 3 + 1 SECOND
FROM seq_1_to_15000 s JOIN bench_hint_text t ON t.k = s.seq % 7;

DROP TEMPORARY TABLE bench_hint_text;

ANALYZE TABLE users, conversations, messages, realtime_coaching_hints;
