-- Demo data for `make run`: agents, a supervisor, an admin, conversations with messages and hints.
-- Idempotent: fixed ids with INSERT IGNORE; hints are refreshed so that some are recent.
INSERT IGNORE INTO users (id, name, email, role, status) VALUES
    (1, 'Ana Souza', 'ana@example.com', 'agent', 'active'),
    (2, 'Bruno Lima', 'bruno@example.com', 'agent', 'active'),
    (3, 'Carla Dias', 'carla@example.com', 'agent', 'active'),
    (4, 'Diego Ramos', 'diego@example.com', 'supervisor', 'active'),
    (5, 'Eva Martins', 'eva@example.com', 'admin', 'active');

INSERT IGNORE INTO conversations (id, contact_id, agent_id, status) VALUES
    (1, 101, 1, 'open'), (2, 102, 1, 'open'), (3, 103, 2, 'open'),
    (4, 104, 2, 'open'), (5, 105, 3, 'open'), (6, 106, 3, 'open');

INSERT IGNORE INTO messages (id, conversation_id, sender_type, sender_id, content, message_type, created_at) VALUES
    (1, 1, 'contact', 101, 'Olá, queria saber o preço do plano anual.', 'text', NOW() - INTERVAL 20 MINUTE),
    (2, 1, 'agent', 1, 'Olá! O plano anual custa R$ 1.200. Posso ajudar com mais algo?', 'text', NOW() - INTERVAL 19 MINUTE),
    (3, 1, 'contact', 101, 'Achei caro, o concorrente cobra bem menos.', 'text', NOW() - INTERVAL 2 MINUTE),
    (4, 2, 'contact', 102, 'Perfeito, como faço para assinar hoje?', 'text', NOW() - INTERVAL 1 MINUTE),
    (5, 3, 'contact', 103, 'I have been waiting for a week and nobody answers me. This is unacceptable.', 'text', NOW() - INTERVAL 3 MINUTE),
    (6, 4, 'contact', 104, 'Does the premium plan include phone support?', 'text', NOW() - INTERVAL 4 MINUTE),
    (7, 5, 'contact', 105, 'Vocês têm desconto para pagamento à vista?', 'text', NOW() - INTERVAL 5 MINUTE),
    (8, 6, 'contact', 106, 'Quero falar com um gerente agora.', 'text', NOW() - INTERVAL 6 MINUTE);

INSERT IGNORE INTO realtime_coaching_hints
    (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used, tokens_used, cost, created_at) VALUES
    (1, 1, 1, 3, 'objection', 'O cliente compara preço com a concorrência: mostre o valor, não o desconto.',
        '["Entendo! Posso mostrar o que está incluído e o concorrente não oferece?", "Qual recurso é mais importante para você?"]',
        'local', 0, 0, NOW() - INTERVAL 2 MINUTE),
    (2, 2, 1, 4, 'buying_signal', 'Sinal claro de compra: conduza ao fechamento agora.',
        '["Ótimo! Envio o link de pagamento agora mesmo?", "Prefere cartão ou boleto?"]',
        'local', 0, 0, NOW() - INTERVAL 1 MINUTE),
    (3, 3, 2, 5, 'negative_sentiment', 'Customer is frustrated by the delay: apologise and give a concrete next step.',
        '["I am sorry for the wait. I will personally follow up on this today.", "Can you share your order number so I can check right now?"]',
        'local', 0, 0, NOW() - INTERVAL 3 MINUTE),
    (4, 4, 2, 6, 'question', 'Key question about what the plan includes: answer precisely.',
        '["Yes, premium includes phone support from 8am to 8pm."]',
        'local', 0, 0, NOW() - INTERVAL 4 MINUTE),
    (5, 5, 3, 7, 'opportunity', 'Pergunta sobre desconto à vista: oportunidade de fechar com condição especial.',
        '["Temos 10% de desconto no pagamento à vista. Quer que eu prepare a proposta?"]',
        'local', 0, 0, NOW() - INTERVAL 5 MINUTE),
    (6, 6, 3, 8, 'escalation_needed', 'Cliente pede gerente: acione o supervisor.',
        '["Vou chamar meu supervisor agora mesmo para te atender."]',
        'local', 0, 0, NOW() - INTERVAL 6 MINUTE);

-- Keep the demo hints recent so the polling routes return them right after `make run`.
UPDATE realtime_coaching_hints SET created_at = NOW() - INTERVAL (id * 20) SECOND WHERE id BETWEEN 1 AND 6;

INSERT INTO settings (`key`, `value`, `type`, `group`, label)
VALUES ('conversation_settings', '{"realtime_coaching":{"enabled":true}}', 'json', 'conversations', 'Conversation settings')
ON DUPLICATE KEY UPDATE `value` = IF(JSON_VALID(`value`) AND JSON_EXISTS(`value`, '$.realtime_coaching'),
    `value`, JSON_SET(IF(JSON_VALID(`value`), `value`, '{}'), '$.realtime_coaching', JSON_OBJECT('enabled', true)));
