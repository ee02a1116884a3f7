/*
 * What the settings and costs admin pages share: the JSON API call, DOM helpers that only ever
 * insert text, the page language, number formats and the page-state / alert conventions the
 * browser tests rely on (data-state on <main>, #admin-alert with data-kind).
 * An ES module, no build step; session-token.js (a classic script loaded first) has already turned
 * a #token=… into the coaching_token cookie.
 */

/* Same-origin fetch with the cookie and, for writes, Content-Type: application/json (what the CSRF
 * guard accepts). Resolves with the JSON body; rejects with an Error carrying status, code and the
 * body (for the per-field `errors` of a 400). */
export function api(method, url, body) {
    const init = { method, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
        init.headers = { 'Content-Type': 'application/json' };
        init.body = JSON.stringify(body || {});
    }
    return window.fetch(url, init).then((response) => response.text().then((text) => {
        let data = null;
        if (text) {
            try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        if (!response.ok || !data || data.success === false) {
            const error = new Error((data && typeof data.error === 'string' && data.error) || ('HTTP ' + response.status));
            error.status = response.status;
            error.code = data && data.code;
            error.data = data;
            throw error;
        }
        return data;
    }), (networkError) => {
        const error = new Error((networkError && networkError.message) || 'network error');
        error.status = 0;
        throw error;
    });
}

/* ------------------------------------------------------------------ DOM (text only) */

export function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
}

export function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
}

export function setText(node, text) {
    if (node) node.textContent = text == null ? '' : String(text);
}

/* ------------------------------------------------------------------ language */

/* ?lang=en forces a language; otherwise the browser's first. Portuguese unless it is English. */
export function pickLanguage() {
    let forced = null;
    try { forced = new URLSearchParams(window.location.search).get('lang'); } catch (e) { /* old browser */ }
    const wanted = forced || (window.navigator.languages && window.navigator.languages[0]) || window.navigator.language || 'pt-BR';
    return /^en/i.test(String(wanted)) ? 'en' : 'pt';
}

/* Sets <html lang>, the title and every [data-i18n] text from `strings`. */
export function applyStrings(lang, strings) {
    document.documentElement.lang = lang === 'en' ? 'en' : 'pt-BR';
    document.title = strings.pageTitle + ' · Realtime Coaching';
    document.querySelectorAll('[data-i18n]').forEach((node) => {
        const value = strings[node.getAttribute('data-i18n')];
        if (typeof value === 'string') node.textContent = value;
    });
}

/* Hint type labels come from the service (GET /coaching/admin/hint-types), the same words as the
   agent's cards; until they are loaded (or if they cannot be), a type shows its id. The promise
   never rejects, so a page's load does not fail on it. */
let hintTypeLabels = {};
let hintTypesLoading = null;

export function loadHintTypes() {
    if (!hintTypesLoading) {
        hintTypesLoading = api('GET', '/coaching/admin/hint-types').then((data) => {
            (Array.isArray(data.hint_types) ? data.hint_types : []).forEach((entry) => {
                if (entry && typeof entry.type === 'string' && entry.labels) hintTypeLabels[entry.type] = entry.labels;
            });
        }, () => {
            // The page's own request reports what went wrong; labels stay type ids until a retry.
            hintTypesLoading = null;
        });
    }
    return hintTypesLoading;
}

export function hintLabel(lang, type) {
    const labels = hintTypeLabels[type];
    return (labels && (labels[lang] || labels.pt)) || String(type);
}

/* ------------------------------------------------------------------ numbers */

export const DASH = '\u2013';

export function isNum(v) { return typeof v === 'number' && isFinite(v); }

export function formatter(lang, min, max) {
    return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'pt-BR', { minimumFractionDigits: min, maximumFractionDigits: max });
}

export function fmtInt(lang, v) { return isNum(v) ? formatter(lang, 0, 0).format(v) : DASH; }

export function fmtPct(lang, v) { return isNum(v) ? formatter(lang, 1, 1).format(v * 100) + ' %' : DASH; }

/* Dollars with at least four decimals, more for tiny amounts: $0.0012, $0.000023. */
export function fmtMoney(lang, v) {
    if (!isNum(v)) return DASH;
    const abs = Math.abs(v);
    let decimals = 4;
    if (abs > 0 && abs < 0.001) decimals = Math.min(8, Math.floor(-Math.log10(abs)) + 2);
    const text = formatter(lang, decimals, decimals).format(v);
    return lang === 'pt' ? 'US$ ' + text : '$' + text;
}

/* ------------------------------------------------------------------ page state and alerts */

/* data-state on <main> (loading, ready, error, unauthorized, forbidden) is what the tests wait on. */
export function setPageState(main, loading, value) {
    main.setAttribute('data-state', value);
    main.setAttribute('aria-busy', value === 'loading' ? 'true' : 'false');
    if (loading) loading.hidden = value !== 'loading';
}

export function showAlert(node, text, kind) {
    node.textContent = text;
    node.setAttribute('data-kind', kind);
    node.hidden = false;
}

export function hideAlert(node) {
    node.hidden = true;
    node.textContent = '';
    node.removeAttribute('data-kind');
}

/* The text for a failed load: 401/403 name the page's own messages; other errors say what failed. */
export function loadFailureKind(error) {
    if (error && error.status === 401) return 'unauthorized';
    if (error && error.status === 403) return 'forbidden';
    if (!error || !error.status) return 'offline';
    return 'error';
}
