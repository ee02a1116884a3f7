/*
 * Demo agent console: conversation list, transcript, composer, and the coaching cards from
 * realtime-coaching.js. Plain script, no framework; all server text is inserted as text.
 *
 * session-token.js runs first, so an access token given in the URL (#token=…) is already the
 * coaching_token cookie when this file and realtime-coaching.js call the API.
 */
(function (window, document) {
    'use strict';

    /* ------------------------------------------------------------------ strings */

    var STRINGS = {
        pt: {
            title: 'Console do agente',
            skip: 'Ir para o campo de resposta',
            delivery: 'Entrega de dicas',
            conversations: 'Conversas',
            noConversations: 'Nenhuma conversa atribuída a você.',
            pickConversation: 'Selecione uma conversa',
            emptyTranscript: 'Nenhuma mensagem ainda.',
            composerLabel: 'Sua resposta',
            composerPlaceholder: 'Escreva sua resposta… (Enter envia, Shift+Enter quebra linha)',
            send: 'Enviar',
            sending: 'Enviando…',
            customer: 'Cliente',
            agent: 'Você',
            system: 'Sistema',
            note: 'Nota interna',
            conversation: 'Conversa #',
            status: { open: 'Aberta', pending: 'Pendente', resolved: 'Resolvida', closed: 'Fechada' },
            mode: {
                push: 'Tempo real: as dicas chegam por push.',
                polling: 'Push indisponível: consultando novas dicas a cada 5 s.',
                off: 'Coaching desativado ou indisponível.'
            },
            unauthorized: 'Sessão ausente ou expirada. Abra a URL do console impressa por “make run” (ela inclui o token de acesso) ou gere um novo token.',
            offline: 'Não foi possível falar com o serviço. Tentando de novo…',
            sendFailed: 'Não foi possível enviar a mensagem: ',
            emptyMessage: 'Escreva uma mensagem antes de enviar.',
            media: 'mídia',
            newHint: 'nova dica',
            noPreview: 'Sem mensagens'
        },
        en: {
            title: 'Agent console',
            skip: 'Skip to the reply box',
            delivery: 'Hint delivery',
            conversations: 'Conversations',
            noConversations: 'No conversations assigned to you.',
            pickConversation: 'Select a conversation',
            emptyTranscript: 'No messages yet.',
            composerLabel: 'Your reply',
            composerPlaceholder: 'Type your reply… (Enter sends, Shift+Enter for a new line)',
            send: 'Send',
            sending: 'Sending…',
            customer: 'Customer',
            agent: 'You',
            system: 'System',
            note: 'Internal note',
            conversation: 'Conversation #',
            status: { open: 'Open', pending: 'Pending', resolved: 'Resolved', closed: 'Closed' },
            mode: {
                push: 'Real time: hints arrive by push.',
                polling: 'Push unavailable: checking for new hints every 5 s.',
                off: 'Coaching is disabled or unavailable.'
            },
            unauthorized: 'Missing or expired session. Open the console URL printed by “make run” (it carries the access token) or mint a new token.',
            offline: 'Could not reach the service. Retrying…',
            sendFailed: 'Could not send the message: ',
            emptyMessage: 'Type a message before sending.',
            media: 'media',
            newHint: 'new hint',
            noPreview: 'No messages'
        }
    };

    var REFRESH_MS = 3000;
    var HINTS_REFRESH_MS = 30000;

    var lang = 'pt';
    var t = STRINGS.pt;

    var state = {
        conversations: [],
        items: new Map(),          /* conversation id → list element */
        lastActivity: new Map(),   /* conversation id → last_message_at seen */
        selectedId: null,
        generation: 0,
        rendered: new Map(),       /* message id → element (selected conversation) */
        hintsByMessage: {},
        hintsLoadedAt: 0,
        listInFlight: false,
        messagesInFlight: false,
        sending: false,
        unauthorized: false,
        offline: false,
        refreshTimer: null,
        typing: null,
        firstList: true
    };

    var dom = {};

    function coaching() {
        return window.realtimeCoaching || null;
    }

    /* ------------------------------------------------------------------ HTTP */

    function api(method, url, body) {
        var init = { method: method, credentials: 'same-origin', cache: 'no-store' };
        if (body !== undefined) {
            init.headers = { 'Content-Type': 'application/json' };
            init.body = JSON.stringify(body);
        }
        return window.fetch(url, init).then(function (response) {
            return response.text().then(function (text) {
                var data = null;
                if (text) {
                    try { data = JSON.parse(text); } catch (e) { data = null; }
                }
                if (response.status === 401) {
                    showUnauthorized();
                } else if (state.offline && response.status < 500) {
                    clearOffline();
                }
                if (!response.ok || !data || data.success === false) {
                    var error = new Error((data && data.error) || ('HTTP ' + response.status));
                    error.status = response.status;
                    error.code = data && data.code;
                    throw error;
                }
                return data;
            });
        }, function (networkError) {
            showOffline();
            throw networkError;
        });
    }

    function handleError(error) {
        if (!error) return;
        if (error.status === 401) return;
        if (!error.status || error.status >= 500) showOffline();
    }

    /* ------------------------------------------------------------------ alerts */

    function showAlert(text, kind) {
        dom.alert.textContent = text;
        dom.alert.setAttribute('data-kind', kind);
        dom.alert.hidden = false;
    }

    function showUnauthorized() {
        state.unauthorized = true;
        if (!dom.alert) return;
        showAlert(t.unauthorized, 'unauthorized');
        dom.composer.disabled = true;
        dom.send.disabled = true;
    }

    function showOffline() {
        if (state.unauthorized || !dom.alert) return;
        state.offline = true;
        showAlert(t.offline, 'offline');
    }

    function clearOffline() {
        state.offline = false;
        if (dom.alert && dom.alert.getAttribute('data-kind') === 'offline') {
            dom.alert.hidden = true;
            dom.alert.textContent = '';
        }
    }

    /* ------------------------------------------------------------------ language */

    function applyLanguage(language) {
        lang = /^en/i.test(String(language || '')) ? 'en' : 'pt';
        t = STRINGS[lang];
        document.documentElement.lang = lang === 'en' ? 'en' : 'pt-BR';
        document.title = t.title + ' · Realtime Coaching';
        var nodes = document.querySelectorAll('[data-i18n]');
        for (var i = 0; i < nodes.length; i++) {
            var key = nodes[i].getAttribute('data-i18n');
            if (key === 'pickConversation' && state.selectedId) continue;
            if (typeof t[key] === 'string') nodes[i].textContent = t[key];
        }
        var placeholders = document.querySelectorAll('[data-i18n-placeholder]');
        for (var j = 0; j < placeholders.length; j++) {
            var pkey = placeholders[j].getAttribute('data-i18n-placeholder');
            if (typeof t[pkey] === 'string') placeholders[j].setAttribute('placeholder', t[pkey]);
        }
        if (state.unauthorized) showAlert(t.unauthorized, 'unauthorized');
        updateMode();
        renderList();
        updateHeader();
    }

    /* ------------------------------------------------------------------ helpers */

    function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text != null) node.textContent = text;
        return node;
    }

    function pad(n) { return n < 10 ? '0' + n : String(n); }

    function todayString() {
        var d = new Date();
        return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    }

    /* Timestamps come as "YYYY-MM-DD HH:MM:SS" in the service's zone: shown as they are. */
    function shortTime(value, withDate) {
        var s = String(value || '');
        var m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})/.exec(s);
        if (!m) return '';
        var date = m[1] + '-' + m[2] + '-' + m[3];
        if (withDate && date !== todayString()) return m[3] + '/' + m[2];
        return m[4] + ':' + m[5];
    }

    function initials(name) {
        var words = String(name || '?').replace(/[#\d]+/g, ' ').trim().split(/\s+/).filter(Boolean);
        var letters = words.slice(0, 2).map(function (w) { return w.charAt(0).toUpperCase(); }).join('');
        return letters || '?';
    }

    function isAtBottom() {
        var tr = dom.transcript;
        return tr.scrollHeight - tr.scrollTop - tr.clientHeight < 48;
    }

    function scrollToBottom() {
        dom.transcript.scrollTop = dom.transcript.scrollHeight;
    }

    function idOf(value) {
        var n = parseInt(String(value), 10);
        return isFinite(n) && n > 0 ? n : null;
    }

    /* ------------------------------------------------------------------ push mode pill */

    function updateMode() {
        var rc = coaching();
        var mode = rc ? rc.mode : 'off';
        if (dom.pill.textContent !== mode) dom.pill.textContent = mode;
        dom.pill.setAttribute('data-mode', mode);
        var description = t.mode[mode] || '';
        dom.pill.title = description;
        dom.pill.setAttribute('aria-label', t.delivery + ': ' + mode + '. ' + description);
    }

    /* ------------------------------------------------------------------ conversation list */

    function renderList() {
        if (!dom.list) return;
        var list = state.conversations;
        dom.empty.hidden = list.length > 0 || state.firstList;
        var seen = new Set();
        var previous = null;
        list.forEach(function (conversation) {
            var id = idOf(conversation.id);
            if (!id) return;
            seen.add(id);
            var item = state.items.get(id);
            if (!item) {
                item = buildItem(id);
                state.items.set(id, item);
            }
            fillItem(item, conversation);
            var expectedNext = previous ? previous.nextSibling : dom.list.firstChild;
            if (expectedNext !== item) dom.list.insertBefore(item, expectedNext);
            previous = item;
        });
        state.items.forEach(function (item, id) {
            if (!seen.has(id)) {
                if (item.parentNode) item.parentNode.removeChild(item);
                state.items.delete(id);
            }
        });
        updateRovingTabIndex();
    }

    function buildItem(id) {
        var item = el('button', 'conv');
        item.type = 'button';
        item.setAttribute('role', 'option');
        item.setAttribute('data-testid', 'conversation-item');
        item.setAttribute('data-conversation-id', String(id));
        item.setAttribute('aria-selected', 'false');
        item.appendChild(el('span', 'conv__avatar'));
        var main = el('span', 'conv__main');
        var top = el('span', 'conv__top');
        top.appendChild(el('span', 'conv__name'));
        top.appendChild(el('span', 'conv__time'));
        main.appendChild(top);
        var bottom = el('span', 'conv__bottom');
        bottom.appendChild(el('span', 'conv__preview'));
        bottom.appendChild(el('span', 'conv__status'));
        main.appendChild(bottom);
        item.appendChild(main);
        var dot = el('span', 'conv__dot');
        dot.setAttribute('aria-hidden', 'true');
        item.appendChild(dot);
        item.addEventListener('click', function () { selectConversation(id); });
        return item;
    }

    function fillItem(item, conversation) {
        var id = idOf(conversation.id);
        var name = String(conversation.contact_name || (t.conversation + id));
        setText(item.querySelector('.conv__avatar'), initials(name));
        setText(item.querySelector('.conv__name'), name);
        setText(item.querySelector('.conv__time'), shortTime(conversation.last_message_at, true));
        var preview = conversation.last_message == null || conversation.last_message === ''
            ? t.noPreview : String(conversation.last_message);
        setText(item.querySelector('.conv__preview'), preview);
        var status = String(conversation.status || '');
        var statusNode = item.querySelector('.conv__status');
        setText(statusNode, t.status[status] || status);
        statusNode.setAttribute('data-status', status);
        item.setAttribute('data-status', status);
        var selected = id === state.selectedId;
        item.setAttribute('aria-selected', selected ? 'true' : 'false');
        item.classList.toggle('conv--selected', selected);
        var activity = String(conversation.last_message_at || '');
        var known = state.lastActivity.get(id);
        if (selected) {
            item.classList.remove('conv--unread');
        } else if (known !== undefined && known !== activity) {
            item.classList.add('conv--unread');
        }
        state.lastActivity.set(id, activity);
    }

    function setText(node, text) {
        if (node && node.textContent !== text) node.textContent = text;
    }

    function updateRovingTabIndex() {
        var items = dom.list.querySelectorAll('.conv');
        var active = null;
        for (var i = 0; i < items.length; i++) {
            if (items[i].getAttribute('aria-selected') === 'true') active = items[i];
        }
        if (!active && items.length) active = items[0];
        for (var j = 0; j < items.length; j++) items[j].tabIndex = items[j] === active ? 0 : -1;
    }

    function onListKeydown(event) {
        var items = Array.prototype.slice.call(dom.list.querySelectorAll('.conv'));
        if (!items.length) return;
        var index = items.indexOf(document.activeElement);
        var next = null;
        switch (event.key) {
            case 'ArrowDown': next = items[Math.min(items.length - 1, index + 1)]; break;
            case 'ArrowUp': next = items[Math.max(0, index - 1)]; break;
            case 'Home': next = items[0]; break;
            case 'End': next = items[items.length - 1]; break;
            default: return;
        }
        event.preventDefault();
        if (next) {
            next.focus();
            selectConversation(idOf(next.getAttribute('data-conversation-id')));
        }
    }

    function refreshList() {
        if (state.listInFlight || state.unauthorized) return Promise.resolve();
        state.listInFlight = true;
        return api('GET', '/api/coaching/console/conversations').then(function (data) {
            state.listInFlight = false;
            if (data.agent && data.agent.name) setText(dom.agent, String(data.agent.name));
            state.conversations = Array.isArray(data.conversations) ? data.conversations : [];
            state.firstList = false;
            renderList();
            if (!state.selectedId && state.conversations.length) {
                selectConversation(idOf(state.conversations[0].id));
            } else if (state.selectedId && !state.items.has(state.selectedId)) {
                clearSelection();
                if (state.conversations.length) selectConversation(idOf(state.conversations[0].id));
            }
        }, function (error) {
            state.listInFlight = false;
            handleError(error);
        });
    }

    /* ------------------------------------------------------------------ transcript */

    function currentConversation() {
        for (var i = 0; i < state.conversations.length; i++) {
            if (idOf(state.conversations[i].id) === state.selectedId) return state.conversations[i];
        }
        return null;
    }

    function updateHeader() {
        if (!dom.title) return;
        var conversation = currentConversation();
        if (!state.selectedId) {
            setText(dom.title, t.pickConversation);
            setText(dom.subtitle, '');
            return;
        }
        var name = conversation && conversation.contact_name ? String(conversation.contact_name) : t.conversation + state.selectedId;
        setText(dom.title, name);
        var status = conversation ? String(conversation.status || '') : '';
        setText(dom.subtitle, t.conversation + state.selectedId + (status ? ' · ' + (t.status[status] || status) : ''));
    }

    function clearSelection() {
        state.selectedId = null;
        state.generation++;
        state.rendered.clear();
        state.hintsByMessage = {};
        clearTranscript();
        dom.composer.disabled = true;
        dom.send.disabled = true;
        updateHeader();
    }

    function clearTranscript() {
        while (dom.transcript.firstChild) dom.transcript.removeChild(dom.transcript.firstChild);
        dom.transcript.appendChild(dom.transcriptEmpty);
        dom.transcriptEmpty.hidden = true;
    }

    function selectConversation(id) {
        if (!id) return;
        var changed = id !== state.selectedId;
        if (changed) {
            if (state.typing) state.typing.stop();
            state.selectedId = id;
            state.generation++;
            state.rendered.clear();
            state.hintsByMessage = {};
            state.hintsLoadedAt = 0;
            clearTranscript();
            dom.composer.value = '';
            setText(dom.composerError, '');
        }
        state.items.forEach(function (item, itemId) {
            var selected = itemId === id;
            item.setAttribute('aria-selected', selected ? 'true' : 'false');
            item.classList.toggle('conv--selected', selected);
            if (selected) item.classList.remove('conv--unread', 'conv--hint');
        });
        updateRovingTabIndex();
        updateHeader();
        if (!state.unauthorized) {
            dom.composer.disabled = false;
            dom.send.disabled = false;
        }
        var rc = coaching();
        if (rc) {
            rc.watchConversation(id);
            rc.setComposer(dom.composer);
        }
        if (!changed) return;
        var generation = state.generation;
        loadMessages(true).then(function () {
            if (generation === state.generation) loadInlineHints();
        });
    }

    function messageElement(message) {
        var sender = String(message.sender_type || 'system');
        var type = String(message.message_type || 'text');
        var node = el('div', 'msg msg--' + (sender === 'contact' || sender === 'agent' ? sender : 'system'));
        node.setAttribute('data-testid', 'message');
        node.setAttribute('data-message-id', String(message.id));
        node.setAttribute('data-sender', sender);
        node.setAttribute('data-message-type', type);
        if (type === 'note') node.classList.add('msg--note');

        var bubble = el('div', 'msg__bubble');
        var content = message.content == null ? '' : String(message.content);
        if (!content && type !== 'text') content = '[' + t.media + ': ' + type + ']';
        var text = el('p', 'msg__text', content);
        text.setAttribute('data-testid', 'message-text');
        bubble.appendChild(text);
        node.appendChild(bubble);

        var meta = el('div', 'msg__meta');
        var who = sender === 'contact' ? t.customer : sender === 'agent' ? t.agent : t.system;
        if (type === 'note') who = t.note;
        meta.appendChild(el('span', 'msg__who', who));
        var time = el('time', 'msg__time', shortTime(message.created_at, false));
        if (message.created_at) {
            time.setAttribute('datetime', String(message.created_at).replace(' ', 'T'));
            time.title = String(message.created_at);
        }
        meta.appendChild(time);
        node.appendChild(meta);
        return node;
    }

    function renderMessages(messages, forceBottom) {
        var atBottom = forceBottom || isAtBottom();
        var added = 0;
        messages.forEach(function (message) {
            var key = String(message.id);
            if (!idOf(message.id) || state.rendered.has(key)) return;
            var node = messageElement(message);
            state.rendered.set(key, node);
            dom.transcript.appendChild(node);
            added++;
        });
        dom.transcriptEmpty.hidden = state.rendered.size > 0;
        if (added) renderInline(false);
        if (atBottom) scrollToBottom();
        return added;
    }

    function loadMessages(initial) {
        var id = state.selectedId;
        if (!id || state.unauthorized) return Promise.resolve();
        if (state.messagesInFlight && !initial) return Promise.resolve();
        state.messagesInFlight = true;
        var generation = state.generation;
        return api('GET', '/api/coaching/console/conversations/' + encodeURIComponent(id) + '/messages').then(function (data) {
            state.messagesInFlight = false;
            if (generation !== state.generation) return;
            var messages = Array.isArray(data.messages) ? data.messages : [];
            renderMessages(messages, initial);
            dom.transcriptEmpty.hidden = state.rendered.size > 0;
        }, function (error) {
            state.messagesInFlight = false;
            handleError(error);
        });
    }

    /* ------------------------------------------------------------------ inline hints */

    function renderInline(keepBottom) {
        var rc = coaching();
        var atBottom = keepBottom !== false && isAtBottom();
        if (rc && rc.renderInlineHints) rc.renderInlineHints(dom.transcript, state.hintsByMessage);
        else if (window.renderInlineHints) window.renderInlineHints(dom.transcript, state.hintsByMessage);
        if (atBottom) scrollToBottom();
    }

    function loadInlineHints() {
        var id = state.selectedId;
        if (!id || state.unauthorized) return Promise.resolve();
        var generation = state.generation;
        state.hintsLoadedAt = Date.now();
        return api('GET', '/api/coaching/hints/conversation/' + encodeURIComponent(id)).then(function (data) {
            if (generation !== state.generation) return;
            var map = {};
            if (data.enabled !== false) {
                if (data.hints_by_message && typeof data.hints_by_message === 'object') {
                    Object.keys(data.hints_by_message).forEach(function (key) {
                        if (Array.isArray(data.hints_by_message[key])) map[key] = data.hints_by_message[key].slice();
                    });
                } else if (Array.isArray(data.hints)) {
                    data.hints.forEach(function (hint) { addToMap(map, hint); });
                }
            }
            /* keep pushed hints that the list may not include yet */
            Object.keys(state.hintsByMessage).forEach(function (key) {
                state.hintsByMessage[key].forEach(function (hint) { addToMap(map, hint); });
            });
            state.hintsByMessage = map;
            renderInline(true);
        }, handleError);
    }

    function addToMap(map, hint) {
        if (!hint || hint.message_id == null) return;
        var key = String(hint.message_id);
        var list = map[key] || (map[key] = []);
        for (var i = 0; i < list.length; i++) {
            if (String(list[i].id) === String(hint.id)) return;
        }
        list.unshift(hint);
    }

    function onHintShown(event) {
        var hint = event.detail && event.detail.hint;
        if (!hint) return;
        var conversationId = idOf(hint.conversation_id);
        if (conversationId && conversationId === state.selectedId) {
            addToMap(state.hintsByMessage, hint);
            renderInline(true);
        } else if (conversationId && state.items.has(conversationId)) {
            state.items.get(conversationId).classList.add('conv--hint');
        }
    }

    /* ------------------------------------------------------------------ composer */

    function send() {
        var id = state.selectedId;
        var text = dom.composer.value.replace(/\s+$/, '');
        if (!id || state.sending || state.unauthorized) return;
        if (!text.trim()) {
            setText(dom.composerError, t.emptyMessage);
            return;
        }
        state.sending = true;
        dom.send.disabled = true;
        dom.send.setAttribute('aria-busy', 'true');
        setText(dom.composerError, '');
        if (state.typing) state.typing.stop();
        var generation = state.generation;
        api('POST', '/api/coaching/console/conversations/' + encodeURIComponent(id) + '/messages', { content: text })
            .then(function (data) {
                if (generation === state.generation) {
                    if (dom.composer.value.replace(/\s+$/, '') === text) dom.composer.value = '';
                    if (data.message && data.message.id != null) renderMessages([data.message], true);
                    scrollToBottom();
                    loadMessages(false);
                }
                refreshList();
            }, function (error) {
                if (error && error.status !== 401) setText(dom.composerError, t.sendFailed + (error.message || ''));
            })
            .then(function () {
                state.sending = false;
                dom.send.removeAttribute('aria-busy');
                if (!state.unauthorized && state.selectedId) dom.send.disabled = false;
                if (generation === state.generation) dom.composer.focus();
            });
    }

    function onComposerKeydown(event) {
        if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
        event.preventDefault();
        send();
    }

    /* ------------------------------------------------------------------ refresh loop */

    function tick() {
        window.clearTimeout(state.refreshTimer);
        if (state.unauthorized) return;
        var work = [];
        if (!document.hidden) {
            work.push(refreshList());
            work.push(loadMessages(false));
            if (state.selectedId && Date.now() - state.hintsLoadedAt > HINTS_REFRESH_MS) work.push(loadInlineHints());
        }
        updateMode();
        Promise.all(work).then(schedule, schedule);
    }

    function schedule() {
        window.clearTimeout(state.refreshTimer);
        if (state.unauthorized) return;
        state.refreshTimer = window.setTimeout(tick, REFRESH_MS);
    }

    /* ------------------------------------------------------------------ start */

    function start() {
        dom.alert = document.getElementById('console-alert');
        dom.list = document.getElementById('conversation-list');
        dom.empty = document.getElementById('conversation-empty');
        dom.transcript = document.getElementById('transcript');
        dom.transcriptEmpty = document.getElementById('transcript-empty');
        dom.title = document.getElementById('chat-title');
        dom.subtitle = document.getElementById('chat-subtitle');
        dom.composer = document.getElementById('composer');
        dom.send = document.getElementById('send');
        dom.form = document.getElementById('composer-form');
        dom.composerError = document.getElementById('composer-error');
        dom.pill = document.getElementById('push-mode');
        dom.agent = document.getElementById('agent-name');
        if (!dom.list || !dom.transcript || !dom.composer) return;

        if (state.unauthorized) showUnauthorized();

        dom.form.addEventListener('submit', function (event) {
            event.preventDefault();
            send();
        });
        dom.composer.addEventListener('keydown', onComposerKeydown);
        dom.composer.addEventListener('input', function () {
            if (dom.composerError.textContent === t.emptyMessage) setText(dom.composerError, '');
        });
        dom.list.addEventListener('keydown', onListKeydown);

        document.addEventListener('realtimecoaching:mode', updateMode);
        document.addEventListener('realtimecoaching:hint', onHintShown);
        document.addEventListener('realtimecoaching:unauthorized', showUnauthorized);
        document.addEventListener('visibilitychange', function () {
            if (!document.hidden) tick();
        });

        var rc = coaching();
        if (rc) {
            rc.setComposer(dom.composer);
            state.typing = rc.attachTypingSignal(dom.composer, function () { return state.selectedId; });
            if (rc.ready && typeof rc.ready.then === 'function') {
                rc.ready.then(function (info) {
                    applyLanguage(info && info.language);
                    updateMode();
                });
            }
        }
        updateMode();
        tick();
    }

    function whenReady() {
        /* realtime-coaching.js runs after this file; give it its turn before starting. */
        window.setTimeout(start, 0);
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', whenReady);
    else whenReady();
})(window, document);
