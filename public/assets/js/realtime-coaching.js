/*
 * Realtime Coaching — hint cards for the agent's screen.
 *
 * One instance lives at window.realtimeCoaching (created on DOMContentLoaded). It reads
 * /api/coaching/settings, subscribes to /coaching/events (EventSource, cookie-authenticated),
 * falls back to polling /api/coaching/hints/pending every 5 s while push is down, and shows each
 * hint once as a floating card. Every piece of text coming from the server or the model is
 * inserted with textContent / createTextNode, never as HTML.
 *
 * Public API
 *   realtimeCoaching.mode                      'push' | 'polling' | 'off' (read-only)
 *   realtimeCoaching.ready                     Promise resolved after the settings were read
 *   realtimeCoaching.watchConversation(id[, {add:true}])  conversations polled while push is down
 *   realtimeCoaching.unwatchConversation(id)
 *   realtimeCoaching.setComposer(textarea)     where suggestions are inserted
 *   realtimeCoaching.showHint(hint)            show one hint (deduplicated by id)
 *   realtimeCoaching.attachTypingSignal(textarea, conversationIdGetter) → {stop(), detach()}
 *   realtimeCoaching.renderInlineHints(container, hintsByMessage)
 *   window.renderInlineHints(container, hintsByMessage)   same, usable without the instance
 *
 * DOM events (dispatched on document)
 *   realtimecoaching:ready         detail {enabled, language, settings}
 *   realtimecoaching:mode          detail {mode}
 *   realtimecoaching:hint          detail {hint, source}   a hint shown for the first time
 *   realtimecoaching:unauthorized  detail {url}            the API answered 401
 */
(function (window, document) {
    'use strict';

    var API = {
        settings: '/api/coaching/settings',
        pending: '/api/coaching/hints/pending',
        hint: '/api/coaching/hints/',
        typing: '/api/coaching/typing',
        events: '/coaching/events'
    };

    var POLL_INTERVAL_MS = 5000;
    var POLL_SECONDS = 30;
    var BACKOFF_START_MS = 1000;
    var BACKOFF_MAX_MS = 30000;
    var STABLE_PUSH_MS = 10000;
    var SETTINGS_REFRESH_MS = 60000;
    var TYPING_THROTTLE_MS = 3000;
    var TYPING_IDLE_MS = 4000;
    var MAX_CARDS = 5;
    var SEEN_STORAGE_KEY = 'rc-seen-hints';
    var SEEN_STORAGE_MAX = 500;
    var SVG_NS = 'http://www.w3.org/2000/svg';

    var STRINGS = {
        pt: {
            stack: 'Dicas de coaching',
            hint: 'Dica',
            close: 'Fechar dica',
            suggestions: 'Sugestões de resposta',
            useSuggestion: 'Inserir sugestão no campo de resposta: ',
            inserted: 'Inserida',
            question: 'Esta dica ajudou?',
            helpful: 'Útil',
            notHelpful: 'Não útil',
            helpfulLabel: 'Marcar dica como útil',
            notHelpfulLabel: 'Marcar dica como não útil',
            thanks: 'Obrigado pelo retorno!',
            failed: 'Não foi possível registrar. Tente de novo.',
            conversation: 'Conversa #',
            expand: 'Ver dica',
            copied: 'Copiada',
            newHint: 'Nova dica: '
        },
        en: {
            stack: 'Coaching hints',
            hint: 'Hint',
            close: 'Close hint',
            suggestions: 'Suggested replies',
            useSuggestion: 'Insert suggestion into the reply box: ',
            inserted: 'Inserted',
            question: 'Was this hint helpful?',
            helpful: 'Helpful',
            notHelpful: 'Not helpful',
            helpfulLabel: 'Mark hint as helpful',
            notHelpfulLabel: 'Mark hint as not helpful',
            thanks: 'Thanks for the feedback!',
            failed: 'Could not record it. Please try again.',
            conversation: 'Conversation #',
            expand: 'Show hint',
            copied: 'Copied',
            newHint: 'New hint: '
        }
    };

    /* Icons: 24×24 stroke paths (constant strings, never data). */
    var ICONS = {
        objection: ['M12 3l8 3v6c0 4.5-3.4 8.2-8 9-4.6-.8-8-4.5-8-9V6z', 'M9 12h6'],
        opportunity: ['M3 17l6-6 4 4 8-8', 'M15 7h6v6'],
        question: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M9.2 9a3 3 0 0 1 5.8 1c0 2-3 2.6-3 4.5', 'M12 17.5h.01'],
        negative_sentiment: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M8 16.5a5 5 0 0 1 8 0', 'M9 9.5h.01', 'M15 9.5h.01'],
        buying_signal: ['M3 4h2.5l2.2 10.5h10.6L20.5 7H6.6', 'M9 19.5h.01', 'M17 19.5h.01'],
        closing_opportunity: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M8 12.5l2.7 2.7L16.5 9.5'],
        escalation_needed: ['M12 3L2.5 20h19z', 'M12 10v4.5', 'M12 17.5h.01'],
        _default: ['M9 18h6', 'M10 21h4', 'M12 3a6 6 0 0 0-3.5 10.9c.6.5 1 1.2 1 2.1h5c0-.9.4-1.6 1-2.1A6 6 0 0 0 12 3z']
    };

    function langKey(language) {
        return /^en/i.test(String(language || '')) ? 'en' : 'pt';
    }

    function toPositiveInt(value) {
        var n = typeof value === 'number' ? value : parseInt(String(value == null ? '' : value), 10);
        return isFinite(n) && n > 0 && Math.floor(n) === n ? n : null;
    }

    function asText(value) {
        if (value == null) return '';
        return typeof value === 'string' ? value : String(value);
    }

    function normaliseSuggestions(value) {
        if (Array.isArray(value)) {
            return value.filter(function (s) { return s != null && asText(s).trim() !== ''; }).map(asText);
        }
        if (typeof value === 'string' && value.trim() !== '') {
            try {
                var parsed = JSON.parse(value);
                if (Array.isArray(parsed)) return normaliseSuggestions(parsed);
            } catch (e) { /* a plain string: one suggestion */ }
            return [value];
        }
        return [];
    }

    function normaliseHint(raw) {
        if (!raw || typeof raw !== 'object') return null;
        var hint = {};
        for (var key in raw) {
            if (Object.prototype.hasOwnProperty.call(raw, key)) hint[key] = raw[key];
        }
        hint.hint_type = asText(raw.hint_type || raw.type || '');
        hint.hint_text = asText(raw.hint_text != null ? raw.hint_text : raw.text);
        hint.suggestions = normaliseSuggestions(raw.suggestions);
        hint.conversation_id = toPositiveInt(raw.conversation_id);
        hint.message_id = toPositiveInt(raw.message_id);
        return hint;
    }

    function hintKey(hint) {
        return hint && hint.id != null && hint.id !== '' ? String(hint.id) : null;
    }

    function dispatch(name, detail) {
        try {
            document.dispatchEvent(new CustomEvent(name, { detail: detail }));
        } catch (e) { /* very old browser: no CustomEvent constructor */ }
    }

    function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text != null) node.textContent = text;
        return node;
    }

    function icon(type) {
        var paths = ICONS[type] || ICONS._default;
        var svg = document.createElementNS(SVG_NS, 'svg');
        svg.setAttribute('viewBox', '0 0 24 24');
        svg.setAttribute('width', '18');
        svg.setAttribute('height', '18');
        svg.setAttribute('fill', 'none');
        svg.setAttribute('stroke', 'currentColor');
        svg.setAttribute('stroke-width', '2');
        svg.setAttribute('stroke-linecap', 'round');
        svg.setAttribute('stroke-linejoin', 'round');
        svg.setAttribute('aria-hidden', 'true');
        svg.setAttribute('focusable', 'false');
        for (var i = 0; i < paths.length; i++) {
            var path = document.createElementNS(SVG_NS, 'path');
            path.setAttribute('d', paths[i]);
            svg.appendChild(path);
        }
        return svg;
    }

    /* ------------------------------------------------------------------ HTTP */

    function request(method, url, body, options) {
        var init = { method: method, credentials: 'same-origin', cache: 'no-store' };
        if (body !== undefined) {
            init.headers = { 'Content-Type': 'application/json' };
            init.body = JSON.stringify(body);
        }
        if (options && options.keepalive) init.keepalive = true;
        return window.fetch(url, init).then(function (response) {
            return response.text().then(function (text) {
                var data = null;
                if (text) {
                    try { data = JSON.parse(text); } catch (e) { data = null; }
                }
                if (response.status === 401) dispatch('realtimecoaching:unauthorized', { url: url });
                if (!response.ok || (data && data.success === false)) {
                    var error = new Error((data && data.error) || ('HTTP ' + response.status));
                    error.status = response.status;
                    error.code = data && data.code;
                    error.data = data;
                    throw error;
                }
                return data || {};
            });
        });
    }

    /* ------------------------------------------------------------------ sound */

    var audio = {
        context: null,
        unlockBound: false,
        ensure: function () {
            var Ctor = window.AudioContext || window.webkitAudioContext;
            if (!Ctor) return null;
            if (!this.context) {
                try { this.context = new Ctor(); } catch (e) { return null; }
            }
            if (this.context.state === 'suspended' && this.context.resume) {
                this.context.resume().catch(function () { /* needs a user gesture first */ });
            }
            return this.context;
        },
        bindUnlock: function () {
            if (this.unlockBound) return;
            this.unlockBound = true;
            var self = this;
            var unlock = function () {
                self.ensure();
                document.removeEventListener('pointerdown', unlock, true);
                document.removeEventListener('keydown', unlock, true);
            };
            document.addEventListener('pointerdown', unlock, true);
            document.addEventListener('keydown', unlock, true);
        },
        chime: function () {
            var ctx = this.ensure();
            if (!ctx || ctx.state !== 'running') return;
            try {
                var start = ctx.currentTime + 0.01;
                [[880, 0], [1318.5, 0.11]].forEach(function (note) {
                    var osc = ctx.createOscillator();
                    var gain = ctx.createGain();
                    osc.type = 'sine';
                    osc.frequency.setValueAtTime(note[0], start + note[1]);
                    gain.gain.setValueAtTime(0.0001, start + note[1]);
                    gain.gain.exponentialRampToValueAtTime(0.12, start + note[1] + 0.02);
                    gain.gain.exponentialRampToValueAtTime(0.0001, start + note[1] + 0.22);
                    osc.connect(gain);
                    gain.connect(ctx.destination);
                    osc.start(start + note[1]);
                    osc.stop(start + note[1] + 0.25);
                });
            } catch (e) { /* sound is optional */ }
        }
    };

    /* ------------------------------------------------------------------ inline hints */

    function inlineHintNode(hint, lang, onSuggestion) {
        var node = el('div', 'rc-inline-hint');
        node.setAttribute('data-testid', 'inline-hint');
        node.setAttribute('data-message-id', asText(hint.message_id));
        if (hint.id != null) node.setAttribute('data-hint-id', asText(hint.id));
        node.setAttribute('data-hint-type', hint.hint_type);
        node.setAttribute('role', 'note');

        var badge = el('span', 'rc-inline-hint__badge');
        badge.appendChild(icon(hint.hint_type));
        badge.appendChild(el('span', 'rc-inline-hint__label', labelFor(hint, lang)));
        node.appendChild(badge);
        node.appendChild(el('span', 'rc-inline-hint__text', hint.hint_text));

        if (onSuggestion && hint.suggestions.length) {
            var list = el('div', 'rc-inline-hint__suggestions');
            hint.suggestions.forEach(function (text, index) {
                var button = el('button', 'rc-inline-hint__suggestion', text);
                button.type = 'button';
                button.setAttribute('data-testid', 'inline-suggestion');
                button.setAttribute('data-index', String(index));
                button.setAttribute('aria-label', STRINGS[lang].useSuggestion + text);
                button.addEventListener('click', function () { onSuggestion(hint, index, button); });
                list.appendChild(button);
            });
            node.appendChild(list);
        }
        return node;
    }

    function labelFor(hint, lang) {
        // The server names every type (`label`, in the agent's language): one source for the words.
        var given = asText(hint.label).trim();
        return given || (STRINGS[lang] || STRINGS.pt).hint;
    }

    /**
     * Places the hints of each message under the element that carries its data-message-id.
     * hintsByMessage: {"<message_id>": [hint, …]} (as returned by GET hints/conversation/{id}).
     * Messages absent from the map are left as they are; a message present in the map gets its
     * hint list replaced, so calling this again after a refresh never duplicates anything.
     */
    function renderInlineHints(container, hintsByMessage, options) {
        if (!container || !hintsByMessage || typeof hintsByMessage !== 'object') return 0;
        options = options || {};
        var lang = langKey(options.language || (window.realtimeCoaching && window.realtimeCoaching.language));
        var onSuggestion = options.onSuggestion ||
            (window.realtimeCoaching && window.realtimeCoaching._inlineSuggestionHandler) || null;
        var rendered = 0;
        var targets = container.querySelectorAll('[data-message-id]');
        for (var i = 0; i < targets.length; i++) {
            var target = targets[i];
            if (target.closest('.rc-inline-list')) continue;
            var id = target.getAttribute('data-message-id');
            if (!Object.prototype.hasOwnProperty.call(hintsByMessage, id)) continue;
            var hints = (hintsByMessage[id] || []).map(normaliseHint).filter(Boolean);
            var existing = null;
            for (var c = 0; c < target.children.length; c++) {
                if (target.children[c].classList.contains('rc-inline-list')) { existing = target.children[c]; break; }
            }
            var signature = hints.map(function (h) { return asText(h.id) + ':' + h.hint_type; }).join(',');
            if (existing && existing.getAttribute('data-signature') === signature) { rendered += hints.length; continue; }
            if (existing) existing.parentNode.removeChild(existing);
            if (!hints.length) continue;
            var list = el('div', 'rc-inline-list');
            list.setAttribute('data-signature', signature);
            hints.forEach(function (hint) {
                if (!hint.message_id) hint.message_id = toPositiveInt(id);
                list.appendChild(inlineHintNode(hint, lang, onSuggestion));
                rendered++;
            });
            target.appendChild(list);
        }
        return rendered;
    }

    /* ------------------------------------------------------------------ the class */

    function RealtimeCoaching(options) {
        options = options || {};
        this._settings = null;
        this._enabled = false;
        this._language = 'pt-BR';
        this._lang = 'pt';
        this._initialised = false;
        this._initPromise = null;
        this._queued = [];
        this._watched = [];
        this._composer = null;
        this._lastTextarea = null;
        this._seen = new Set();
        this._cards = new Map();
        this._stack = null;
        this._es = null;
        this._esOpen = false;
        this._esOpenedAt = 0;
        this._downSince = 0;
        this._everOpened = false;
        this._lastEventId = '';
        this._backoff = BACKOFF_START_MS;
        this._reconnectTimer = null;
        this._pollTimer = null;
        this._pollInFlight = false;
        this._settingsTimer = null;
        this._mode = 'off';
        this._running = false;
        this._eventsUrl = options.eventsUrl || API.events;
        this._loadSeen();

        var self = this;
        this._inlineSuggestionHandler = function (hint, index, button) {
            self._useSuggestion(hint, index, button);
        };
        this.ready = new Promise(function (resolve) { self._resolveReady = resolve; });

        document.addEventListener('focusin', function (event) {
            var t = event.target;
            if (t && (t.tagName === 'TEXTAREA' || t.isContentEditable) && !(t.closest && t.closest('#rc-hint-stack'))) {
                self._lastTextarea = t;
            }
        });
    }

    Object.defineProperty(RealtimeCoaching.prototype, 'mode', {
        get: function () { return this._mode; },
        enumerable: true
    });
    Object.defineProperty(RealtimeCoaching.prototype, 'enabled', {
        get: function () { return this._enabled; },
        enumerable: true
    });
    Object.defineProperty(RealtimeCoaching.prototype, 'language', {
        get: function () { return this._language; },
        enumerable: true
    });
    Object.defineProperty(RealtimeCoaching.prototype, 'settings', {
        get: function () { return this._settings ? JSON.parse(JSON.stringify(this._settings)) : null; },
        enumerable: true
    });

    RealtimeCoaching.renderInlineHints = renderInlineHints;

    RealtimeCoaching.prototype.init = function () {
        if (this._initPromise) return this._initPromise;
        var self = this;
        this._initPromise = this._readSettings().then(function () {
            self._initialised = true;
            self._apply();
            if (!self._settingsTimer) {
                self._settingsTimer = window.setInterval(function () {
                    self._readSettings().then(function () { self._apply(); });
                }, SETTINGS_REFRESH_MS);
            }
            var queued = self._queued;
            self._queued = [];
            queued.forEach(function (hint) { self._present(hint, 'api'); });
            self._resolveReady({ enabled: self._enabled, language: self._language, settings: self.settings });
            dispatch('realtimecoaching:ready', { enabled: self._enabled, language: self._language, settings: self.settings });
            return self;
        });
        return this._initPromise;
    };

    RealtimeCoaching.prototype._readSettings = function () {
        var self = this;
        return request('GET', API.settings).then(function (data) {
            var settings = (data && data.settings) || {};
            self._settings = settings;
            var enabled = data.coaching_enabled;
            if (typeof enabled !== 'boolean') enabled = data.enabled;
            if (typeof enabled !== 'boolean') enabled = settings.enabled === true;
            self._enabled = enabled === true;
            self._language = asText(data.language || settings.language || document.documentElement.lang || 'pt-BR');
            self._lang = langKey(self._language);
        }).catch(function () {
            /* Keep whatever we knew; with no settings at all coaching stays off. */
            if (!self._settings) self._enabled = false;
        });
    };

    RealtimeCoaching.prototype._apply = function () {
        if (this._enabled && !this._running) this._start();
        else if (!this._enabled && this._running) this._stop();
        if (this._running && this._settings && this._settings.play_sound === true) audio.bindUnlock();
    };

    RealtimeCoaching.prototype._start = function () {
        this._running = true;
        this._ensureStack();
        this._setMode('polling');
        this._connect();
        this._schedulePoll(POLL_INTERVAL_MS);
        this._checkWatchedOnce();
    };

    RealtimeCoaching.prototype._stop = function () {
        this._running = false;
        this._disconnect();
        window.clearTimeout(this._pollTimer);
        this._pollTimer = null;
        var self = this;
        this._cards.forEach(function (card) { self._removeCard(card, false); });
        if (this._stack && this._stack.parentNode) this._stack.parentNode.removeChild(this._stack);
        this._stack = null;
        this._setMode('off');
    };

    RealtimeCoaching.prototype._setMode = function (mode) {
        if (this._mode === mode) return;
        this._mode = mode;
        if (this._stack) this._stack.setAttribute('data-mode', mode);
        dispatch('realtimecoaching:mode', { mode: mode });
    };

    /* ---------------------------------------------------------------- push */

    RealtimeCoaching.prototype._connect = function () {
        if (!this._running || this._es) return;
        if (typeof window.EventSource !== 'function') return; /* polling only */
        var url = this._eventsUrl;
        if (this._lastEventId) {
            url += (url.indexOf('?') === -1 ? '?' : '&') + 'last_event_id=' + encodeURIComponent(this._lastEventId);
        }
        var self = this;
        var es;
        try {
            es = new window.EventSource(url);
        } catch (e) {
            this._scheduleReconnect();
            return;
        }
        this._es = es;
        var onMessage = function (event) {
            if (es !== self._es) return;
            if (event.lastEventId) self._lastEventId = event.lastEventId;
            self._onPushMessage(event.data);
        };
        es.onopen = function () {
            if (es !== self._es) return;
            var wasDown = self._everOpened && self._downSince;
            var downFor = wasDown ? Date.now() - self._downSince : 0;
            self._esOpen = true;
            self._everOpened = true;
            self._esOpenedAt = Date.now();
            self._downSince = 0;
            self._setMode('push');
            if (wasDown) self._catchUp(Math.ceil(downFor / 1000) + 15);
        };
        es.onmessage = onMessage;
        es.addEventListener('coaching_hint', onMessage);
        es.onerror = function () {
            if (es !== self._es) return;
            var stable = self._esOpen && Date.now() - self._esOpenedAt >= STABLE_PUSH_MS;
            self._esOpen = false;
            es.close();
            self._es = null;
            if (!self._downSince) self._downSince = Date.now();
            if (stable) self._backoff = BACKOFF_START_MS;
            if (self._running) {
                self._setMode('polling');
                self._schedulePoll(0);
                self._scheduleReconnect();
            }
        };
    };

    RealtimeCoaching.prototype._scheduleReconnect = function () {
        var self = this;
        window.clearTimeout(this._reconnectTimer);
        var delay = this._backoff;
        this._backoff = Math.min(this._backoff * 2, BACKOFF_MAX_MS);
        this._reconnectTimer = window.setTimeout(function () {
            self._reconnectTimer = null;
            self._connect();
        }, delay);
    };

    RealtimeCoaching.prototype._disconnect = function () {
        window.clearTimeout(this._reconnectTimer);
        this._reconnectTimer = null;
        if (this._es) {
            this._es.close();
            this._es = null;
        }
        this._esOpen = false;
    };

    RealtimeCoaching.prototype._onPushMessage = function (raw) {
        if (!raw) return;
        var message;
        try { message = JSON.parse(raw); } catch (e) { return; }
        if (!message || typeof message !== 'object') return;
        var hint = null;
        if (message.event === 'coaching_hint' && message.data && typeof message.data === 'object') hint = message.data;
        else if (!message.event && message.hint_text != null) hint = message;
        if (hint) this._present(hint, 'push');
    };

    /* ---------------------------------------------------------------- polling */

    RealtimeCoaching.prototype._schedulePoll = function (delay) {
        var self = this;
        window.clearTimeout(this._pollTimer);
        this._pollTimer = window.setTimeout(function () {
            self._pollTimer = null;
            if (!self._running) return;
            var next = function () { if (self._running) self._schedulePoll(POLL_INTERVAL_MS); };
            if (self._mode === 'polling') self._pollWatched(POLL_SECONDS).then(next, next);
            else next();
        }, delay);
    };

    RealtimeCoaching.prototype._pollWatched = function (seconds) {
        if (this._pollInFlight || !this._watched.length) return Promise.resolve();
        var self = this;
        this._pollInFlight = true;
        var ids = this._watched.slice();
        return Promise.all(ids.map(function (id) { return self._fetchPending(id, seconds, 'poll'); }))
            .then(function () { self._pollInFlight = false; }, function () { self._pollInFlight = false; });
    };

    RealtimeCoaching.prototype._fetchPending = function (conversationId, seconds, source) {
        var self = this;
        var url = API.pending + '?conversation_id=' + encodeURIComponent(conversationId) +
            '&seconds=' + encodeURIComponent(Math.max(1, Math.min(3600, seconds)));
        return request('GET', url).then(function (data) {
            if (!data || data.enabled === false || !Array.isArray(data.hints)) return;
            /* newest first from the server; show oldest first so the newest ends on top */
            data.hints.slice().reverse().forEach(function (hint) {
                if (hint && (hint.viewed_at || hint.feedback)) {
                    var key = hintKey(hint);
                    if (key) self._markSeen(key);
                    return;
                }
                self._present(hint, source);
            });
        }).catch(function () { /* the next tick tries again */ });
    };

    RealtimeCoaching.prototype._catchUp = function (seconds) {
        var self = this;
        this._watched.forEach(function (id) { self._fetchPending(id, seconds, 'catch-up'); });
    };

    RealtimeCoaching.prototype._checkWatchedOnce = function () {
        if (!this._running) return;
        var self = this;
        this._watched.forEach(function (id) { self._fetchPending(id, POLL_SECONDS, 'watch'); });
    };

    /* ---------------------------------------------------------------- public API */

    RealtimeCoaching.prototype.watchConversation = function (id, options) {
        var ids = (Array.isArray(id) ? id : [id]).map(toPositiveInt).filter(Boolean);
        var add = options && options.add;
        var before = this._watched.slice();
        var next = add ? before.slice() : [];
        ids.forEach(function (n) { if (next.indexOf(n) === -1) next.push(n); });
        this._watched = next;
        if (this._running) {
            var self = this;
            next.forEach(function (n) {
                if (before.indexOf(n) === -1) self._fetchPending(n, POLL_SECONDS, 'watch');
            });
        }
        return this._watched.slice();
    };

    RealtimeCoaching.prototype.unwatchConversation = function (id) {
        var n = toPositiveInt(id);
        this._watched = this._watched.filter(function (x) { return x !== n; });
        return this._watched.slice();
    };

    Object.defineProperty(RealtimeCoaching.prototype, 'watchedConversations', {
        get: function () { return this._watched.slice(); },
        enumerable: true
    });

    RealtimeCoaching.prototype.setComposer = function (element) {
        this._composer = element || null;
        return this;
    };

    /** Shows one hint as a card; returns the card element, or null if it was already shown. */
    RealtimeCoaching.prototype.showHint = function (raw) {
        if (!this._initialised) {
            var pending = normaliseHint(raw);
            if (pending) this._queued.push(pending);
            return null;
        }
        return this._present(raw, 'api', true);
    };

    RealtimeCoaching.prototype.renderInlineHints = function (container, hintsByMessage) {
        return renderInlineHints(container, hintsByMessage, {
            language: this._language,
            onSuggestion: this._inlineSuggestionHandler
        });
    };

    /**
     * Tells the service when the agent is typing in a conversation (feeds skip_if_agent_typing):
     * is_typing:true on input at most once every 3 s, false after 4 s without input, on blur, on
     * an emptied box, and when stop() is called (on send).
     */
    RealtimeCoaching.prototype.attachTypingSignal = function (textarea, conversationIdGetter) {
        var self = this;
        var lastTrueAt = 0;
        var typingIn = null;
        var idleTimer = null;
        var getId = typeof conversationIdGetter === 'function' ? conversationIdGetter : function () { return conversationIdGetter; };

        var post = function (conversationId, isTyping) {
            request('POST', API.typing, { conversation_id: conversationId, is_typing: isTyping },
                { keepalive: !isTyping }).catch(function () { /* advisory only */ });
        };
        var stop = function () {
            window.clearTimeout(idleTimer);
            idleTimer = null;
            if (typingIn != null) {
                var id = typingIn;
                typingIn = null;
                lastTrueAt = 0;
                post(id, false);
            }
        };
        var onInput = function () {
            if (!self._enabled) return;
            var id = toPositiveInt(getId());
            if (!id) return;
            if (typingIn != null && typingIn !== id) stop();
            if (!asText(textarea.value).trim()) { stop(); return; }
            var now = Date.now();
            if (typingIn !== id || now - lastTrueAt >= TYPING_THROTTLE_MS) {
                typingIn = id;
                lastTrueAt = now;
                post(id, true);
            }
            window.clearTimeout(idleTimer);
            idleTimer = window.setTimeout(stop, TYPING_IDLE_MS);
        };
        textarea.addEventListener('input', onInput);
        textarea.addEventListener('blur', stop);
        var onHide = function () { if (document.visibilityState === 'hidden') stop(); };
        document.addEventListener('visibilitychange', onHide);
        return {
            stop: stop,
            detach: function () {
                stop();
                textarea.removeEventListener('input', onInput);
                textarea.removeEventListener('blur', stop);
                document.removeEventListener('visibilitychange', onHide);
            }
        };
    };

    /* ---------------------------------------------------------------- dedup */

    RealtimeCoaching.prototype._loadSeen = function () {
        try {
            var stored = JSON.parse(window.sessionStorage.getItem(SEEN_STORAGE_KEY) || '[]');
            if (Array.isArray(stored)) stored.forEach(function (k) { this._seen.add(String(k)); }, this);
        } catch (e) { /* storage unavailable */ }
    };

    RealtimeCoaching.prototype._markSeen = function (key) {
        if (this._seen.has(key)) return;
        this._seen.add(key);
        try {
            var list = Array.from(this._seen);
            if (list.length > SEEN_STORAGE_MAX) list = list.slice(list.length - SEEN_STORAGE_MAX);
            window.sessionStorage.setItem(SEEN_STORAGE_KEY, JSON.stringify(list));
        } catch (e) { /* storage unavailable or full */ }
    };

    /* ---------------------------------------------------------------- cards */

    RealtimeCoaching.prototype._present = function (raw, source, explicit) {
        var hint = normaliseHint(raw);
        if (!hint || !hint.hint_text) return null;
        if (!explicit && !this._running) return null;
        var types = this._settings && this._settings.hint_types;
        if (!explicit && types && typeof types === 'object' && types[hint.hint_type] === false) return null;
        var key = hintKey(hint);
        if (key) {
            if (this._seen.has(key)) return null;
            this._markSeen(key);
        }
        var card = this._buildCard(hint);
        dispatch('realtimecoaching:hint', { hint: hint, source: source });
        if (this._settings && this._settings.play_sound === true) audio.chime();
        return card;
    };

    RealtimeCoaching.prototype._ensureStack = function () {
        if (this._stack && this._stack.parentNode) return this._stack;
        var stack = document.getElementById('rc-hint-stack');
        if (!stack) {
            stack = el('section', 'rc-stack');
            stack.id = 'rc-hint-stack';
            (document.body || document.documentElement).appendChild(stack);
        }
        stack.setAttribute('data-testid', 'hint-stack');
        stack.setAttribute('aria-live', 'polite');
        stack.setAttribute('aria-relevant', 'additions');
        stack.setAttribute('aria-label', STRINGS[this._lang].stack);
        stack.setAttribute('data-mode', this._mode);
        var self = this;
        if (!stack.getAttribute('data-rc-bound')) {
            stack.setAttribute('data-rc-bound', '1');
            stack.addEventListener('keydown', function (event) {
                if (event.key !== 'Escape' && event.key !== 'Esc') return;
                var cardEl = event.target && event.target.closest ? event.target.closest('.rc-card') : null;
                if (!cardEl) return;
                var card = self._cards.get(cardEl.getAttribute('data-rc-key'));
                if (!card) return;
                event.preventDefault();
                event.stopPropagation();
                self._close(card, true);
            });
        }
        this._stack = stack;
        return stack;
    };

    RealtimeCoaching.prototype._buildCard = function (hint) {
        var self = this;
        var strings = STRINGS[this._lang];
        var stack = this._ensureStack();
        var key = hintKey(hint) || ('local-' + Date.now() + '-' + Math.random().toString(36).slice(2));
        var hasId = hintKey(hint) !== null;
        var labelId = 'rc-label-' + key.replace(/[^A-Za-z0-9_-]/g, '');
        var textId = 'rc-text-' + key.replace(/[^A-Za-z0-9_-]/g, '');

        var root = el('article', 'rc-card rc-card--entering');
        root.setAttribute('data-testid', 'hint-card');
        root.setAttribute('data-hint-id', hasId ? asText(hint.id) : '');
        root.setAttribute('data-hint-type', hint.hint_type);
        root.setAttribute('data-rc-key', key);
        if (hint.conversation_id) root.setAttribute('data-conversation-id', String(hint.conversation_id));
        if (hint.message_id) root.setAttribute('data-message-id', String(hint.message_id));
        root.setAttribute('aria-labelledby', labelId);
        root.setAttribute('aria-describedby', textId);
        root.tabIndex = -1;

        var head = el('header', 'rc-card__head');
        var badge = el('span', 'rc-card__icon');
        badge.appendChild(icon(hint.hint_type));
        head.appendChild(badge);
        var titles = el('div', 'rc-card__titles');
        var label = el('span', 'rc-card__label', labelFor(hint, this._lang));
        label.id = labelId;
        label.setAttribute('data-testid', 'hint-label');
        titles.appendChild(label);
        if (hint.conversation_id && this._watched.length && this._watched.indexOf(hint.conversation_id) === -1) {
            titles.appendChild(el('span', 'rc-card__meta', strings.conversation + hint.conversation_id));
        }
        head.appendChild(titles);
        var close = el('button', 'rc-card__close');
        close.type = 'button';
        close.setAttribute('data-testid', 'hint-close');
        close.setAttribute('aria-label', strings.close);
        close.title = strings.close;
        close.appendChild(closeIcon());
        head.appendChild(close);
        root.appendChild(head);

        var body = el('div', 'rc-card__body');
        var text = el('p', 'rc-card__text', hint.hint_text);
        text.id = textId;
        text.setAttribute('data-testid', 'hint-text');
        body.appendChild(text);

        var card = {
            key: key, hint: hint, hasId: hasId, root: root, timer: null, remaining: 0,
            startedAt: 0, paused: false, closing: false, progress: null, buttons: []
        };

        if (hint.suggestions.length) {
            var group = el('div', 'rc-card__suggestions');
            group.setAttribute('role', 'group');
            group.setAttribute('aria-label', strings.suggestions);
            hint.suggestions.forEach(function (suggestion, index) {
                var button = el('button', 'rc-card__suggestion');
                button.type = 'button';
                button.setAttribute('data-testid', 'hint-suggestion');
                button.setAttribute('data-index', String(index));
                button.setAttribute('aria-label', strings.useSuggestion + suggestion);
                button.appendChild(el('span', 'rc-card__suggestion-text', suggestion));
                button.addEventListener('click', function () { self._useSuggestion(hint, index, button); });
                group.appendChild(button);
            });
            body.appendChild(group);
        }

        var foot = el('footer', 'rc-card__foot');
        var question = el('span', 'rc-card__question', strings.question);
        foot.appendChild(question);
        var actions = el('div', 'rc-card__feedback');
        var helpful = feedbackButton('helpful', strings.helpful, strings.helpfulLabel);
        var notHelpful = feedbackButton('not-helpful', strings.notHelpful, strings.notHelpfulLabel);
        actions.appendChild(helpful);
        actions.appendChild(notHelpful);
        foot.appendChild(actions);
        var status = el('span', 'rc-card__status');
        status.setAttribute('role', 'status');
        foot.appendChild(status);
        body.appendChild(foot);
        card.feedback = { helpful: helpful, notHelpful: notHelpful, status: status, question: question };
        if (!hasId) { helpful.disabled = true; notHelpful.disabled = true; }
        helpful.addEventListener('click', function () { self._feedback(card, 'helpful'); });
        notHelpful.addEventListener('click', function () { self._feedback(card, 'not_helpful'); });

        var autoShow = !this._settings || this._settings.auto_show_hint !== false;
        if (!autoShow) {
            root.classList.add('rc-card--collapsed');
            body.hidden = true;
            var expand = el('button', 'rc-card__expand', strings.expand);
            expand.type = 'button';
            expand.setAttribute('aria-expanded', 'false');
            expand.addEventListener('click', function () {
                body.hidden = false;
                root.classList.remove('rc-card--collapsed');
                expand.parentNode.removeChild(expand);
                var first = root.querySelector('.rc-card__suggestion, .rc-card__feedback-button');
                if (first) first.focus();
            });
            head.insertBefore(expand, close);
        }
        root.appendChild(body);

        var duration = Number(this._settings && this._settings.hint_display_duration);
        if (!isFinite(duration) || duration < 0) duration = 30;
        if (duration > 0 && autoShow) {
            var progress = el('div', 'rc-card__progress');
            progress.setAttribute('aria-hidden', 'true');
            progress.style.setProperty('--rc-duration', duration + 's');
            root.appendChild(progress);
            card.progress = progress;
            card.remaining = duration * 1000;
            root.addEventListener('focusin', function () {
                var active = document.activeElement;
                var keyboard = active && active.matches && safeMatches(active, ':focus-visible');
                if (keyboard) self._pauseTimer(card);
            });
            root.addEventListener('focusout', function (event) {
                if (!event.relatedTarget || !root.contains(event.relatedTarget)) self._resumeTimer(card);
            });
        }

        close.addEventListener('click', function () { self._close(card, true); });

        this._cards.set(key, card);
        stack.appendChild(root);
        root.addEventListener('animationend', function () { root.classList.remove('rc-card--entering'); });
        window.setTimeout(function () { root.classList.remove('rc-card--entering'); }, 600);
        if (card.remaining > 0) this._startTimer(card);
        this._trimStack();
        return root;
    };

    function safeMatches(node, selector) {
        try { return node.matches(selector); } catch (e) { return false; }
    }

    function closeIcon() {
        var svg = document.createElementNS(SVG_NS, 'svg');
        svg.setAttribute('viewBox', '0 0 24 24');
        svg.setAttribute('width', '16');
        svg.setAttribute('height', '16');
        svg.setAttribute('fill', 'none');
        svg.setAttribute('stroke', 'currentColor');
        svg.setAttribute('stroke-width', '2.2');
        svg.setAttribute('stroke-linecap', 'round');
        svg.setAttribute('aria-hidden', 'true');
        svg.setAttribute('focusable', 'false');
        var path = document.createElementNS(SVG_NS, 'path');
        path.setAttribute('d', 'M6 6l12 12M18 6L6 18');
        svg.appendChild(path);
        return svg;
    }

    function feedbackButton(kind, text, label) {
        var button = el('button', 'rc-card__feedback-button rc-card__feedback-button--' + kind);
        button.type = 'button';
        button.setAttribute('data-testid', 'hint-' + kind);
        button.setAttribute('aria-label', label);
        button.setAttribute('aria-pressed', 'false');
        var svg = document.createElementNS(SVG_NS, 'svg');
        svg.setAttribute('viewBox', '0 0 24 24');
        svg.setAttribute('width', '14');
        svg.setAttribute('height', '14');
        svg.setAttribute('fill', 'none');
        svg.setAttribute('stroke', 'currentColor');
        svg.setAttribute('stroke-width', '2');
        svg.setAttribute('stroke-linecap', 'round');
        svg.setAttribute('stroke-linejoin', 'round');
        svg.setAttribute('aria-hidden', 'true');
        svg.setAttribute('focusable', 'false');
        var path = document.createElementNS(SVG_NS, 'path');
        path.setAttribute('d', kind === 'helpful'
            ? 'M7 10v11H4V10zM7 10l4-7c1.7 0 2.5 1 2.2 2.6L12.6 9H19a2 2 0 0 1 2 2.3l-1.3 7.5A2.5 2.5 0 0 1 17.2 21H7'
            : 'M17 14V3h3v11zM17 14l-4 7c-1.7 0-2.5-1-2.2-2.6l.6-3.4H5a2 2 0 0 1-2-2.3l1.3-7.5A2.5 2.5 0 0 1 6.8 3H17');
        svg.appendChild(path);
        button.appendChild(svg);
        button.appendChild(el('span', null, text));
        return button;
    }

    RealtimeCoaching.prototype._trimStack = function () {
        if (this._cards.size <= MAX_CARDS) return;
        var excess = this._cards.size - MAX_CARDS;
        var self = this;
        Array.from(this._cards.values()).filter(function (c) { return !c.closing; }).slice(0, excess)
            .forEach(function (card) { self._removeCard(card, true); });
    };

    RealtimeCoaching.prototype._startTimer = function (card) {
        var self = this;
        window.clearTimeout(card.timer);
        card.startedAt = Date.now();
        card.paused = false;
        if (card.progress) card.progress.classList.remove('rc-card__progress--paused');
        card.timer = window.setTimeout(function () { self._close(card, true); }, card.remaining);
    };

    RealtimeCoaching.prototype._pauseTimer = function (card) {
        if (card.paused || card.closing || !card.timer) return;
        window.clearTimeout(card.timer);
        card.timer = null;
        card.remaining = Math.max(500, card.remaining - (Date.now() - card.startedAt));
        card.paused = true;
        if (card.progress) card.progress.classList.add('rc-card__progress--paused');
    };

    RealtimeCoaching.prototype._resumeTimer = function (card) {
        if (!card.paused || card.closing) return;
        this._startTimer(card);
    };

    /** Closing (button, Escape or auto-close) marks the hint viewed. */
    RealtimeCoaching.prototype._close = function (card, markViewed) {
        if (card.closing) return;
        if (markViewed && card.hasId) {
            request('POST', API.hint + encodeURIComponent(card.hint.id) + '/view', {}, { keepalive: true })
                .catch(function () { /* viewed_at is advisory */ });
        }
        var hadFocus = card.root.contains(document.activeElement);
        this._removeCard(card, true);
        if (hadFocus) this._refocusAfterClose();
    };

    RealtimeCoaching.prototype._refocusAfterClose = function () {
        var next = null;
        this._cards.forEach(function (c) { if (!c.closing) next = c; });
        if (next) {
            var target = next.root.querySelector('.rc-card__close');
            if (target) { target.focus(); return; }
        }
        var composer = this._composerElement();
        if (composer) composer.focus();
    };

    RealtimeCoaching.prototype._removeCard = function (card, animate) {
        if (card.closing) return;
        card.closing = true;
        window.clearTimeout(card.timer);
        var root = card.root;
        var self = this;
        var done = function () {
            if (root.parentNode) root.parentNode.removeChild(root);
            self._cards.delete(card.key);
        };
        root.removeAttribute('data-testid');
        root.setAttribute('data-state', 'closing');
        root.setAttribute('aria-hidden', 'true');
        if (!animate) { done(); return; }
        root.classList.add('rc-card--leaving');
        window.setTimeout(done, 220);
    };

    RealtimeCoaching.prototype._composerElement = function () {
        if (this._composer && this._composer.isConnected !== false) return this._composer;
        if (this._lastTextarea && this._lastTextarea.isConnected !== false) return this._lastTextarea;
        return document.querySelector('[data-testid="composer"]');
    };

    RealtimeCoaching.prototype._useSuggestion = function (hint, index, button) {
        var text = hint.suggestions[index];
        if (text == null) return;
        var composer = this._composerElement();
        var strings = STRINGS[this._lang];
        if (composer) {
            if ('value' in composer && composer.tagName !== 'DIV') composer.value = text;
            else composer.textContent = text;
            composer.focus();
            try {
                if (typeof composer.setSelectionRange === 'function') composer.setSelectionRange(text.length, text.length);
            } catch (e) { /* not a text control */ }
            var event;
            try { event = new Event('input', { bubbles: true }); } catch (e) {
                event = document.createEvent('Event');
                event.initEvent('input', true, false);
            }
            composer.dispatchEvent(event);
            markButton(button, strings.inserted);
        } else if (window.navigator.clipboard && window.navigator.clipboard.writeText) {
            window.navigator.clipboard.writeText(text).then(function () { markButton(button, strings.copied); }, function () {});
        }
        if (hintKey(hint) !== null) {
            request('POST', API.hint + encodeURIComponent(hint.id) + '/use-suggestion', { suggestion_index: index })
                .catch(function () { /* the insertion already happened */ });
        }
    };

    function markButton(button, text) {
        if (!button) return;
        button.classList.add('rc-used');
        button.setAttribute('data-used', 'true');
        button.setAttribute('data-flash', text);
    }

    RealtimeCoaching.prototype._feedback = function (card, value) {
        if (!card.hasId) return;
        var parts = card.feedback;
        var strings = STRINGS[this._lang];
        parts.helpful.disabled = true;
        parts.notHelpful.disabled = true;
        var chosen = value === 'helpful' ? parts.helpful : parts.notHelpful;
        chosen.setAttribute('aria-pressed', 'true');
        chosen.classList.add('rc-chosen');
        parts.status.textContent = '';
        request('POST', API.hint + encodeURIComponent(card.hint.id) + '/feedback', { feedback: value })
            .then(function () {
                card.root.classList.add('rc-card--thanked');
                card.root.setAttribute('data-feedback', value);
                parts.status.textContent = strings.thanks;
            })
            .catch(function () {
                chosen.setAttribute('aria-pressed', 'false');
                chosen.classList.remove('rc-chosen');
                parts.helpful.disabled = false;
                parts.notHelpful.disabled = false;
                parts.status.textContent = strings.failed;
            });
    };

    /* ------------------------------------------------------------------ bootstrap */

    window.RealtimeCoaching = RealtimeCoaching;
    window.renderInlineHints = renderInlineHints;

    function boot() {
        if (window.realtimeCoaching instanceof RealtimeCoaching) return;
        window.realtimeCoaching = new RealtimeCoaching();
        var body = document.body;
        var initial = body && toPositiveInt(body.getAttribute('data-conversation-id'));
        if (initial) window.realtimeCoaching.watchConversation(initial);
        window.realtimeCoaching.init();
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
    else boot();
})(window, document);
