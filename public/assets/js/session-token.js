/*
 * The pages' session: an access token given in the URL (#token=…) becomes the coaching_token
 * cookie (SameSite=Strict, expiring with the token) and leaves the address bar; other hash
 * parameters stay. Loaded first by every page, so the cookie exists before any API call.
 */
(function (window, document) {
    'use strict';

    function readHashParams(hash) {
        var out = [];
        String(hash || '').replace(/^#/, '').split('&').forEach(function (part) {
            if (!part) return;
            var eq = part.indexOf('=');
            var name = eq === -1 ? part : part.slice(0, eq);
            var value = eq === -1 ? '' : part.slice(eq + 1);
            try { value = decodeURIComponent(value); } catch (e) { /* keep it raw */ }
            out.push([name, value, part]);
        });
        return out;
    }

    function tokenMaxAge(token) {
        var parts = token.split('.');
        if (parts.length !== 3) return null;
        try {
            var b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
            while (b64.length % 4) b64 += '=';
            var payload = JSON.parse(window.atob(b64));
            var exp = Number(payload && payload.exp);
            if (!isFinite(exp)) return null;
            var seconds = Math.floor(exp - Date.now() / 1000);
            return seconds > 0 ? seconds : null;
        } catch (e) {
            return null;
        }
    }

    (function bootstrapToken() {
        var params = readHashParams(window.location.hash);
        var token = null;
        var rest = [];
        params.forEach(function (p) {
            if (p[0] === 'token') token = p[1].trim();
            else rest.push(p[2]);
        });
        if (token === null) return;
        if (token && /^[A-Za-z0-9._~+\/=-]+$/.test(token)) {
            var cookie = 'coaching_token=' + token + '; path=/; SameSite=Strict';
            var maxAge = tokenMaxAge(token);
            if (maxAge) cookie += '; Max-Age=' + maxAge;
            if (window.location.protocol === 'https:') cookie += '; Secure';
            document.cookie = cookie;
        }
        try {
            window.history.replaceState(window.history.state, '',
                window.location.pathname + window.location.search + (rest.length ? '#' + rest.join('&') : ''));
        } catch (e) { /* the hash stays; harmless */ }
    })();

    window.CoachingSession = { readHashParams: readHashParams };
})(window, document);
