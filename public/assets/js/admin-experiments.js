/*
 * Admin page for the A/B prompt experiments (/admin/experiments/): pick an experiment, compare its
 * variants side by side, see the verdict and the daily helpful rate, pause / resume / conclude.
 * An ES module, no framework, no build step; every value from the server is inserted as text.
 * The JSON call, text-only DOM helpers and hint labels come from admin-common.js.
 *
 * Data: GET /coaching/admin/experiments (list) and GET /coaching/admin/experiments/{key} (detail);
 * actions: POST …/{key}/pause, …/{key}/resume, …/{key}/conclude {"winner": name}. Same-origin
 * fetch with the coaching_token cookie and Content-Type: application/json (what the CSRF guard
 * accepts). The chart is Chart.js from Debian's libjs-chart.js, served by nginx under /vendor/.
 */
import * as CoachingAdmin from './admin-common.js';

(function (window, document) {
    'use strict';

    var API = '/coaching/admin/experiments';

    var readHashParams = window.CoachingSession.readHashParams;

    function hashParam(name) {
        var found = null;
        readHashParams(window.location.hash).forEach(function (p) {
            if (p[0] === name) found = p[1];
        });
        return found;
    }

    /* ------------------------------------------------------------------ strings */

    var STRINGS = {
        pt: {
            locale: 'pt-BR',
            pageTitle: 'Experimentos de prompt',
            skip: 'Ir para o experimento',
            navExperiments: 'Experimentos',
            navSettings: 'Configurações',
            navCosts: 'Custos',
            navConsole: 'Console do agente',
            pick: 'Experimento',
            refresh: 'Atualizar',
            updated: 'Atualizado às ',
            loading: 'Carregando…',
            noExperiments: 'Nenhum experimento definido.',
            actions: 'Ações',
            pause: 'Pausar',
            resume: 'Retomar',
            conclude: 'Concluir…',
            concludeLabel: 'Variante vencedora',
            concludeChoose: '— escolha a vencedora —',
            concludeWarning: 'Ao concluir, todos os agentes passam a receber a variante vencedora. Não dá para desfazer.',
            concludeConfirm: 'Concluir com esta vencedora',
            cancel: 'Cancelar',
            suggested: 'sugerida',
            control: 'Controle',
            winner: 'Vencedor',
            started: 'Início',
            concluded: 'Conclusão',
            allocation: 'Alocação',
            allocationNames: { hash: 'hash fixo por agente', thompson: 'Thompson sampling (adaptativa)' },
            status: { running: 'Em andamento', paused: 'Pausado', concluded: 'Concluído' },
            controlTag: 'controle',
            winnerTag: 'vencedora',
            weight: 'peso',
            verdict: 'Veredito',
            verdictWinner: 'Vencedora sugerida: ',
            verdictConcluded: 'Experimento concluído. Vencedora: ',
            verdictNone: 'Ainda sem vencedora:',
            verdictNoReasons: 'Ainda sem vencedora.',
            srmTitle: 'Desequilíbrio na divisão de agentes (SRM)',
            srmText: function (p, stat) {
                return 'A divisão de agentes entre as variantes não bate com os pesos (χ² = ' + stat + ', p ' + p +
                    '). Verifique a atribuição antes de confiar nos resultados.';
            },
            comparison: 'Comparação das variantes',
            metric: 'Métrica',
            intervalNote: 'Intervalos de 95 % corrigidos para o agrupamento por agente. P(melhor) e P(vence o controle) vêm de posteriores Beta da taxa de dicas úteis.',
            metrics: {
                agents: ['Agentes', 'Agentes atribuídos à variante'],
                hints: ['Dicas', 'Dicas geradas'],
                view_rate: ['Taxa de visualização', 'Dicas vistas / dicas'],
                feedback_rate: ['Taxa de avaliação', 'Dicas avaliadas (útil ou não) / dicas'],
                helpful_rate: ['Taxa de úteis (IC 95 %)', 'Úteis / avaliadas, com intervalo de 95 % por agrupamento'],
                suggestion_use_rate: ['Uso de sugestões', 'Dicas com uma sugestão usada / dicas'],
                no_hint_rate: ['Sem dica', 'Análises que decidiram não dar dica'],
                invalid_output_rate: ['Saída inválida', 'Respostas do modelo que não puderam ser usadas'],
                cost_per_hint: ['Custo por dica', 'Custo de LLM / dicas'],
                latency_p50: ['Latência p50', 'Mediana do tempo até a dica'],
                latency_p95: ['Latência p95', 'Percentil 95 do tempo até a dica'],
                prob_best: ['P(melhor)', 'Probabilidade de ter a maior taxa de úteis'],
                prob_beats_control: ['P(vence o controle)', 'Probabilidade de superar o controle'],
                conversion_rate: ['Conversão', 'Conversas ganhas / conversas com resultado'],
                value_per_conversation: ['Valor por conversa', 'Valor médio por conversa com coaching']
            },
            ratedOf: function (h, r) { return h + ' de ' + r + ' avaliadas'; },
            outcomesOf: function (w, c) { return w + ' com resultado de ' + c; },
            chartTitle: 'Taxa de dicas úteis por dia',
            chartBand: 'IC 95 %',
            noSeries: 'Ainda não há dicas avaliadas por dia.',
            chartMissing: 'Biblioteca de gráficos indisponível (pacote Debian libjs-chart.js).',
            byType: 'Por tipo de dica',
            hintType: 'Tipo de dica',
            byTypeCols: { hints: 'Dicas', rated: 'Avaliadas', helpful_rate: 'Úteis' },
            noByType: 'Nenhuma dica ainda.',
            done: { pause: 'Experimento pausado.', resume: 'Experimento retomado.', conclude: 'Experimento concluído.' },
            actionFailed: 'A ação falhou: ',
            loadFailed: 'Não foi possível carregar os experimentos: ',
            unauthorized: 'Sessão ausente ou expirada. Abra esta página com um token de administrador ou supervisor: /admin/experiments/#token=… (o “make run” imprime um ADMIN_TOKEN).',
            forbidden: 'Sua conta não tem acesso aos experimentos: esta página é só para administradores e supervisores.',
            offline: 'Não foi possível falar com o serviço. Tente “Atualizar” em instantes.'
        },
        en: {
            locale: 'en-US',
            pageTitle: 'Prompt experiments',
            skip: 'Skip to the experiment',
            navExperiments: 'Experiments',
            navSettings: 'Settings',
            navCosts: 'Costs',
            navConsole: 'Agent console',
            pick: 'Experiment',
            refresh: 'Refresh',
            updated: 'Updated at ',
            loading: 'Loading…',
            noExperiments: 'No experiments defined.',
            actions: 'Actions',
            pause: 'Pause',
            resume: 'Resume',
            conclude: 'Conclude…',
            concludeLabel: 'Winning variant',
            concludeChoose: '— choose the winner —',
            concludeWarning: 'Once concluded, every agent gets the winning variant. This cannot be undone.',
            concludeConfirm: 'Conclude with this winner',
            cancel: 'Cancel',
            suggested: 'suggested',
            control: 'Control',
            winner: 'Winner',
            started: 'Started',
            concluded: 'Concluded',
            allocation: 'Allocation',
            allocationNames: { hash: 'sticky hash per agent', thompson: 'Thompson sampling (adaptive)' },
            status: { running: 'Running', paused: 'Paused', concluded: 'Concluded' },
            controlTag: 'control',
            winnerTag: 'winner',
            weight: 'weight',
            verdict: 'Verdict',
            verdictWinner: 'Suggested winner: ',
            verdictConcluded: 'Experiment concluded. Winner: ',
            verdictNone: 'No winner yet:',
            verdictNoReasons: 'No winner yet.',
            srmTitle: 'Sample ratio mismatch (SRM)',
            srmText: function (p, stat) {
                return 'The split of agents between variants does not match the weights (χ² = ' + stat + ', p ' + p +
                    '). Check the assignment before trusting the results.';
            },
            comparison: 'Variant comparison',
            metric: 'Metric',
            intervalNote: '95 % intervals account for clustering by agent. P(best) and P(beats control) come from Beta posteriors of the helpful rate.',
            metrics: {
                agents: ['Agents', 'Agents assigned to the variant'],
                hints: ['Hints', 'Hints produced'],
                view_rate: ['View rate', 'Hints viewed / hints'],
                feedback_rate: ['Feedback rate', 'Hints rated (helpful or not) / hints'],
                helpful_rate: ['Helpful rate (95 % CI)', 'Helpful / rated, with a 95 % interval that accounts for clustering'],
                suggestion_use_rate: ['Suggestion use', 'Hints with a suggestion used / hints'],
                no_hint_rate: ['No-hint rate', 'Analyses that decided to give no hint'],
                invalid_output_rate: ['Invalid output', 'Model answers that could not be used'],
                cost_per_hint: ['Cost per hint', 'LLM cost / hints'],
                latency_p50: ['Latency p50', 'Median time to hint'],
                latency_p95: ['Latency p95', '95th percentile time to hint'],
                prob_best: ['P(best)', 'Probability of the highest helpful rate'],
                prob_beats_control: ['P(beats control)', 'Probability of beating the control'],
                conversion_rate: ['Conversion', 'Won conversations / conversations with an outcome'],
                value_per_conversation: ['Value per conversation', 'Mean value per coached conversation']
            },
            ratedOf: function (h, r) { return h + ' of ' + r + ' rated'; },
            outcomesOf: function (w, c) { return w + ' with outcome of ' + c; },
            chartTitle: 'Daily helpful rate',
            chartBand: '95 % CI',
            noSeries: 'No rated hints per day yet.',
            chartMissing: 'Chart library unavailable (Debian package libjs-chart.js).',
            byType: 'By hint type',
            hintType: 'Hint type',
            byTypeCols: { hints: 'Hints', rated: 'Rated', helpful_rate: 'Helpful' },
            noByType: 'No hints yet.',
            done: { pause: 'Experiment paused.', resume: 'Experiment resumed.', conclude: 'Experiment concluded.' },
            actionFailed: 'The action failed: ',
            loadFailed: 'Could not load the experiments: ',
            unauthorized: 'Missing or expired session. Open this page with an admin or supervisor token: /admin/experiments/#token=… (“make run” prints an ADMIN_TOKEN).',
            forbidden: 'Your account may not see experiments: this page is for admins and supervisors only.',
            offline: 'Could not reach the service. Try “Refresh” in a moment.'
        }
    };

    var HINT_ORDER = ['objection', 'opportunity', 'question', 'negative_sentiment', 'buying_signal',
        'closing_opportunity', 'escalation_needed'];

    var PALETTE = ['#1d4ed8', '#d97706', '#059669', '#7c3aed', '#dc2626', '#0891b2', '#4b5563'];
    var DASH = '\u2013';

    var lang = 'pt';
    var t = STRINGS.pt;

    var state = {
        experiments: [],
        key: null,
        detail: null,
        seq: 0,
        busy: false,
        blocked: null,
        chart: null,
        doneTimer: null
    };

    var dom = {};

    /* ------------------------------------------------------------------ formatting */

    function isNum(v) { return typeof v === 'number' && isFinite(v); }

    var formatters = {};
    function nf(min, max, grouping) {
        var id = min + ':' + max + ':' + (grouping !== false);
        if (!formatters[id]) {
            formatters[id] = new Intl.NumberFormat(t.locale, {
                minimumFractionDigits: min, maximumFractionDigits: max, useGrouping: grouping !== false
            });
        }
        return formatters[id];
    }

    function fmtInt(v) { return isNum(v) ? nf(0, 0).format(v) : DASH; }
    function fmtNum1(v) { return nf(1, 1).format(v); }
    function fmtPct(v) { return isNum(v) ? fmtNum1(v * 100) + ' %' : DASH; }
    function fmtMs(v) { return isNum(v) ? nf(0, 0).format(Math.round(v)) + ' ms' : DASH; }
    function fmtValue(v) { return isNum(v) ? nf(2, 2).format(v) : DASH; }

    function fmtMoney(v) { return CoachingAdmin.fmtMoney(lang, v); }

    /* "62.1 % (55.0–69.0)" */
    function fmtRateCI(rate, low, high) {
        if (!isNum(rate)) return DASH;
        var text = fmtPct(rate);
        if (isNum(low) && isNum(high)) text += ' (' + fmtNum1(low * 100) + DASH + fmtNum1(high * 100) + ')';
        return text;
    }

    function fmtP(p) {
        if (!isNum(p)) return '= ' + DASH;
        if (p < 0.0001) return '< ' + nf(4, 4, false).format(0.0001);
        return '= ' + new Intl.NumberFormat(t.locale, { maximumSignificantDigits: 2 }).format(p);
    }

    /* Timestamps come as "YYYY-MM-DD HH:MM:SS" in the service's zone: shown as they are. */
    function fmtTime(value) {
        if (value == null || value === '') return DASH;
        var m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?/.exec(String(value));
        if (!m) return String(value);
        var date = lang === 'pt' ? m[3] + '/' + m[2] + '/' + m[1] : m[1] + '-' + m[2] + '-' + m[3];
        return m[4] ? date + ' ' + m[4] + ':' + m[5] : date;
    }

    function fmtDay(value) {
        var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value || ''));
        if (!m) return String(value || '');
        return lang === 'pt' ? m[3] + '/' + m[2] : m[2] + '/' + m[3];
    }

    function statusLabel(status) {
        return t.status[status] || String(status || DASH);
    }

    function hintLabel(type) {
        return CoachingAdmin.hintLabel(lang, type);
    }

    /* ------------------------------------------------------------------ HTTP and DOM (admin-common.js) */

    var el = CoachingAdmin.el;
    var clear = CoachingAdmin.clear;
    var setText = CoachingAdmin.setText;
    var api = CoachingAdmin.api;

    function setPageState(value) {
        dom.main.setAttribute('data-state', value);
        dom.main.setAttribute('aria-busy', value === 'loading' ? 'true' : 'false');
        dom.loading.hidden = value !== 'loading';
    }

    /* ------------------------------------------------------------------ language */

    function applyLanguage(language) {
        lang = /^en/i.test(String(language || '')) ? 'en' : 'pt';
        t = STRINGS[lang];
        formatters = {};
        document.documentElement.lang = lang === 'en' ? 'en' : 'pt-BR';
        document.title = t.pageTitle + ' · Realtime Coaching';
        var nodes = document.querySelectorAll('[data-i18n]');
        for (var i = 0; i < nodes.length; i++) {
            var key = nodes[i].getAttribute('data-i18n');
            if (typeof t[key] === 'string') nodes[i].textContent = t[key];
        }
        var canvas = document.getElementById('helpful-chart');
        if (canvas) canvas.setAttribute('aria-label', t.chartTitle);
    }

    function pickLanguage() {
        var forced = null;
        try { forced = new URLSearchParams(window.location.search).get('lang'); } catch (e) { /* old browser */ }
        if (forced) return forced;
        var langs = window.navigator.languages && window.navigator.languages.length
            ? window.navigator.languages : [window.navigator.language];
        return langs[0] || 'pt-BR';
    }

    /* ------------------------------------------------------------------ alerts */

    function showAlert(text, kind) {
        dom.alert.textContent = text;
        dom.alert.setAttribute('data-kind', kind);
        dom.alert.hidden = false;
    }

    function hideAlert() {
        dom.alert.hidden = true;
        dom.alert.textContent = '';
        dom.alert.removeAttribute('data-kind');
    }

    /* 401 / 403 from the API: the page has nothing to show; say why, as the console does. */
    function showBlocked(kind) {
        state.blocked = kind;
        showAlert(kind === 'forbidden' ? t.forbidden : t.unauthorized, kind);
        dom.picker.hidden = true;
        dom.detail.hidden = true;
        dom.empty.hidden = true;
        setPageState(kind);
        destroyChart();
    }

    function handleLoadError(error) {
        if (error && (error.status === 401 || error.status === 403)) {
            showBlocked(error.status === 401 ? 'unauthorized' : 'forbidden');
            return;
        }
        if (!error || !error.status) showAlert(t.offline, 'offline');
        else showAlert(t.loadFailed + error.message, 'error');
        if (!state.detail) setPageState('error');
        else setPageState('ready');
    }

    /* ------------------------------------------------------------------ loading */

    function experimentPath(key) {
        return API + '/' + encodeURIComponent(key);
    }

    function chooseKey(preferred) {
        var list = state.experiments;
        function has(key) {
            return key != null && list.some(function (e) { return e && e.key === key; });
        }
        if (has(preferred)) return preferred;
        if (has(state.key)) return state.key;
        for (var i = 0; i < list.length; i++) {
            if (list[i] && list[i].status === 'running') return list[i].key;
        }
        return list.length ? list[0].key : null;
    }

    function loadAll(preferredKey) {
        var seq = ++state.seq;
        if (!state.detail) setPageState('loading');
        else dom.main.setAttribute('aria-busy', 'true');
        return Promise.all([api('GET', API), CoachingAdmin.loadHintTypes()]).then(function (results) {
            var data = results[0];
            if (seq !== state.seq) return null;
            state.experiments = Array.isArray(data.experiments) ? data.experiments.filter(function (e) {
                return e && typeof e.key === 'string';
            }) : [];
            if (!state.blocked) hideAlert();
            renderPicker();
            var key = chooseKey(preferredKey);
            if (!key) {
                state.key = null;
                state.detail = null;
                dom.detail.hidden = true;
                dom.empty.hidden = false;
                destroyChart();
                setPageState('empty');
                return null;
            }
            dom.empty.hidden = true;
            return loadDetail(key, seq);
        }).catch(function (error) {
            if (seq === state.seq) handleLoadError(error);
        });
    }

    function loadDetail(key, seq) {
        seq = seq || ++state.seq;
        state.key = key;
        dom.select.value = key;
        rememberKey(key);
        dom.main.setAttribute('aria-busy', 'true');
        return api('GET', experimentPath(key)).then(function (data) {
            if (seq !== state.seq) return;
            state.detail = data;
            renderDetail(data);
            setText(dom.updated, t.updated + new Date().toLocaleTimeString(t.locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
            setPageState('ready');
        }).catch(function (error) {
            if (seq === state.seq) handleLoadError(error);
        });
    }

    function rememberKey(key) {
        var rest = readHashParams(window.location.hash).filter(function (p) { return p[0] !== 'experiment'; })
            .map(function (p) { return p[2]; });
        rest.push('experiment=' + encodeURIComponent(key));
        try {
            window.history.replaceState(window.history.state, '',
                window.location.pathname + window.location.search + '#' + rest.join('&'));
        } catch (e) { /* cosmetic */ }
    }

    /* ------------------------------------------------------------------ picker */

    function renderPicker() {
        clear(dom.select);
        state.experiments.forEach(function (exp) {
            var option = el('option', null, (exp.title ? exp.title + ' · ' : '') + exp.key + ' (' + statusLabel(exp.status) + ')');
            option.value = exp.key;
            option.setAttribute('data-status', String(exp.status || ''));
            dom.select.appendChild(option);
        });
        dom.picker.hidden = state.experiments.length === 0;
    }

    /* ------------------------------------------------------------------ detail */

    function orderedVariants(data) {
        var variants = Array.isArray(data.variants) ? data.variants.filter(function (v) {
            return v && typeof v.name === 'string';
        }) : [];
        var control = data.experiment && data.experiment.control;
        var first = [];
        var rest = [];
        variants.forEach(function (v) {
            if (v.is_control === true || (control != null && v.name === control && !first.length)) first.push(v);
            else rest.push(v);
        });
        return first.concat(rest);
    }

    function isControl(v, exp) {
        return v.is_control === true || (exp && exp.control != null && v.name === exp.control);
    }

    function renderDetail(data) {
        var exp = data.experiment || {};
        var variants = orderedVariants(data);
        var verdict = data.verdict || {};
        dom.detail.hidden = false;
        dom.detail.setAttribute('data-experiment', String(exp.key || ''));

        setText(dom.title, exp.title || exp.key || '');
        setText(dom.key, exp.key || '');
        setText(dom.description, exp.description || '');
        dom.description.hidden = !exp.description;
        setText(dom.status, statusLabel(exp.status));
        dom.status.setAttribute('data-status', String(exp.status || ''));
        setText(dom.control, exp.control != null ? exp.control : DASH);
        setText(dom.winner, exp.winner != null ? exp.winner : DASH);
        dom.winner.setAttribute('data-winner', exp.winner != null ? String(exp.winner) : '');
        setText(dom.started, fmtTime(exp.started_at));
        setText(dom.concluded, fmtTime(exp.concluded_at));
        dom.concluded.parentNode.hidden = !exp.concluded_at;
        setText(dom.allocation, t.allocationNames[exp.allocation] || (exp.allocation != null ? String(exp.allocation) : DASH));

        updateActions(exp.status);
        renderConcludeOptions(variants, verdict.winner);
        renderSrm(data.srm);
        renderVerdict(exp, verdict);
        renderVariantsTable(exp, variants, verdict);
        renderByType(exp, variants);
        renderChart(variants, Array.isArray(data.series) ? data.series : []);
    }

    function updateActions(status) {
        var busy = state.busy;
        dom.pause.hidden = status !== 'running';
        dom.resume.hidden = status !== 'paused';
        dom.conclude.hidden = status !== 'running' && status !== 'paused';
        dom.pause.disabled = busy;
        dom.resume.disabled = busy;
        dom.conclude.disabled = busy;
        dom.concludeConfirm.disabled = busy || !dom.concludeWinner.value;
        if (status === 'concluded') dom.concludeForm.hidden = true;
    }

    function renderConcludeOptions(variants, suggested) {
        var previous = dom.concludeWinner.value;
        clear(dom.concludeWinner);
        var placeholder = el('option', null, t.concludeChoose);
        placeholder.value = '';
        dom.concludeWinner.appendChild(placeholder);
        var exp = state.detail && state.detail.experiment;
        variants.forEach(function (v) {
            var tags = [];
            if (isControl(v, exp)) tags.push(t.controlTag);
            if (suggested != null && v.name === suggested) tags.push(t.suggested);
            var option = el('option', null, v.name + (tags.length ? ' (' + tags.join(', ') + ')' : ''));
            option.value = v.name;
            dom.concludeWinner.appendChild(option);
        });
        var names = variants.map(function (v) { return v.name; });
        if (previous && names.indexOf(previous) !== -1) dom.concludeWinner.value = previous;
        else if (suggested != null && names.indexOf(suggested) !== -1) dom.concludeWinner.value = suggested;
        else dom.concludeWinner.value = '';
        dom.concludeConfirm.disabled = state.busy || !dom.concludeWinner.value;
    }

    function renderSrm(srm) {
        if (srm && srm.mismatch === true) {
            var stat = isNum(srm.statistic) ? nf(1, 1).format(srm.statistic) : DASH;
            setText(dom.srmText, t.srmText(fmtP(srm.p_value), stat));
            dom.srm.setAttribute('data-p-value', isNum(srm.p_value) ? String(srm.p_value) : '');
            dom.srm.hidden = false;
        } else {
            dom.srm.hidden = true;
            setText(dom.srmText, '');
            dom.srm.removeAttribute('data-p-value');
        }
    }

    function renderVerdict(exp, verdict) {
        clear(dom.verdictReasons);
        var reasons = Array.isArray(verdict.reasons) ? verdict.reasons : [];
        dom.verdict.setAttribute('data-winner', verdict.winner != null ? String(verdict.winner) : '');
        if (exp.status === 'concluded' && exp.winner != null) {
            dom.verdict.setAttribute('data-kind', 'concluded');
            setText(dom.verdictText, t.verdictConcluded + exp.winner);
        } else if (verdict.winner != null) {
            dom.verdict.setAttribute('data-kind', 'winner');
            setText(dom.verdictText, t.verdictWinner + verdict.winner);
        } else {
            dom.verdict.setAttribute('data-kind', 'none');
            setText(dom.verdictText, reasons.length ? t.verdictNone : t.verdictNoReasons);
        }
        if (verdict.winner == null || exp.status !== 'concluded') {
            reasons.forEach(function (reason) {
                var li = el('li', null, reason);
                li.setAttribute('data-testid', 'verdict-reason');
                dom.verdictReasons.appendChild(li);
            });
        }
        dom.verdictReasons.hidden = !dom.verdictReasons.firstChild;
    }

    /* One row per metric, one column per variant (control first). Each value cell carries
     * data-variant, data-metric and data-value (the raw number from the API, '' for null). */
    var METRICS = [
        { key: 'agents', get: function (v) { return v.agents; }, fmt: fmtInt },
        { key: 'hints', get: function (v) { return v.hints; }, fmt: fmtInt },
        { key: 'view_rate', get: function (v) { return v.view_rate; }, fmt: fmtPct },
        { key: 'feedback_rate', get: function (v) { return v.feedback_rate; }, fmt: fmtPct },
        {
            key: 'helpful_rate',
            get: function (v) { return v.helpful ? v.helpful.rate : null; },
            fmt: function (value, v) {
                var h = v.helpful || {};
                return fmtRateCI(value, h.ci_low, h.ci_high);
            },
            sub: function (v) {
                var h = v.helpful;
                return h && isNum(h.rated) ? t.ratedOf(fmtInt(h.helpful), fmtInt(h.rated)) : '';
            },
            attrs: function (v) {
                var h = v.helpful || {};
                return { 'data-ci-low': h.ci_low, 'data-ci-high': h.ci_high, 'data-rated': h.rated, 'data-helpful': h.helpful };
            },
            strong: true
        },
        { key: 'suggestion_use_rate', get: function (v) { return v.suggestion_use_rate; }, fmt: fmtPct },
        { key: 'no_hint_rate', get: function (v) { return v.no_hint_rate; }, fmt: fmtPct },
        { key: 'invalid_output_rate', get: function (v) { return v.invalid_output_rate; }, fmt: fmtPct },
        { key: 'cost_per_hint', get: function (v) { return v.cost_per_hint; }, fmt: fmtMoney },
        { key: 'latency_p50', get: function (v) { return v.latency_ms ? v.latency_ms.p50 : null; }, fmt: fmtMs },
        { key: 'latency_p95', get: function (v) { return v.latency_ms ? v.latency_ms.p95 : null; }, fmt: fmtMs },
        { key: 'prob_best', get: function (v) { return v.prob_best; }, fmt: fmtPct, strong: true },
        { key: 'prob_beats_control', get: function (v) { return v.prob_beats_control; }, fmt: fmtPct },
        {
            key: 'conversion_rate',
            get: function (v) { return v.outcomes ? v.outcomes.conversion_rate : null; },
            fmt: fmtPct,
            sub: function (v) {
                var o = v.outcomes;
                return o && isNum(o.conversations) ? t.outcomesOf(fmtInt(o.with_outcome), fmtInt(o.conversations)) : '';
            }
        },
        { key: 'value_per_conversation', get: function (v) { return v.outcomes ? v.outcomes.value_per_conversation : null; }, fmt: fmtValue }
    ];

    function variantHeader(v, exp, verdict, index) {
        var th = el('th', 'variant-head');
        th.scope = 'col';
        th.setAttribute('data-variant', v.name);
        th.setAttribute('data-testid', 'variant-column');
        var swatch = el('span', 'swatch');
        swatch.setAttribute('aria-hidden', 'true');
        swatch.setAttribute('data-color', String(index % PALETTE.length));
        th.appendChild(swatch);
        th.appendChild(el('span', 'variant-head__name', v.name));
        var tags = el('span', 'variant-head__tags');
        if (isControl(v, exp)) {
            th.classList.add('is-control');
            var c = el('span', 'tag tag--control', t.controlTag);
            c.setAttribute('data-testid', 'control-tag');
            tags.appendChild(c);
        }
        var winner = exp.winner != null ? exp.winner : verdict.winner;
        if (winner != null && winner === v.name) {
            th.classList.add('is-winner');
            tags.appendChild(el('span', 'tag tag--winner', exp.winner != null ? t.winnerTag : t.suggested));
        }
        if (tags.firstChild) th.appendChild(tags);
        if (isNum(v.weight)) th.appendChild(el('span', 'variant-head__weight', t.weight + ' ' + nf(0, 1).format(v.weight)));
        return th;
    }

    function renderVariantsTable(exp, variants, verdict) {
        var winner = exp.winner != null ? exp.winner : verdict.winner;
        var thead = dom.variantsTable.tHead;
        var tbody = dom.variantsTable.tBodies[0];
        clear(thead);
        clear(tbody);
        var head = el('tr');
        var corner = el('th', 'corner', t.metric);
        corner.scope = 'col';
        head.appendChild(corner);
        variants.forEach(function (v, i) { head.appendChild(variantHeader(v, exp, verdict, i)); });
        thead.appendChild(head);

        METRICS.forEach(function (metric) {
            var tr = el('tr');
            tr.setAttribute('data-metric', metric.key);
            var label = t.metrics[metric.key];
            var th = el('th', 'metric-label', label[0]);
            th.scope = 'row';
            th.title = label[1];
            tr.appendChild(th);
            variants.forEach(function (v) {
                var raw = metric.get(v);
                var value = isNum(raw) ? raw : null;
                var td = el('td', 'value' + (isControl(v, exp) ? ' is-control' : ''));
                if (winner != null && winner === v.name) td.classList.add('is-winner');
                td.setAttribute('data-variant', v.name);
                td.setAttribute('data-metric', metric.key);
                td.setAttribute('data-value', value == null ? '' : String(value));
                if (metric.attrs) {
                    var extra = metric.attrs(v);
                    Object.keys(extra).forEach(function (name) {
                        td.setAttribute(name, isNum(extra[name]) ? String(extra[name]) : '');
                    });
                }
                var main = el('span', 'value__main' + (metric.strong ? ' value__main--strong' : ''), metric.fmt(value, v));
                main.setAttribute('data-testid', 'metric-value');
                td.appendChild(main);
                var sub = metric.sub ? metric.sub(v) : '';
                if (sub) td.appendChild(el('span', 'value__sub', sub));
                if (value == null) td.classList.add('is-null');
                tr.appendChild(td);
            });
            tbody.appendChild(tr);
        });
    }

    function renderByType(exp, variants) {
        var thead = dom.byTypeTable.tHead;
        var tbody = dom.byTypeTable.tBodies[0];
        clear(thead);
        clear(tbody);
        var types = [];
        var rows = {};
        variants.forEach(function (v) {
            var map = rows[v.name] = {};
            (Array.isArray(v.by_type) ? v.by_type : []).forEach(function (row) {
                if (!row || row.hint_type == null) return;
                var type = String(row.hint_type);
                map[type] = row;
                if (types.indexOf(type) === -1) types.push(type);
            });
        });
        types.sort(function (a, b) {
            var ia = HINT_ORDER.indexOf(a);
            var ib = HINT_ORDER.indexOf(b);
            if (ia === -1) ia = HINT_ORDER.length;
            if (ib === -1) ib = HINT_ORDER.length;
            return ia - ib || (a < b ? -1 : a > b ? 1 : 0);
        });
        dom.byTypeEmpty.hidden = types.length > 0;
        dom.byTypeTable.hidden = types.length === 0;
        if (!types.length) return;

        var top = el('tr');
        var corner = el('th', 'corner', t.hintType);
        corner.scope = 'col';
        corner.rowSpan = 2;
        top.appendChild(corner);
        var sub = el('tr');
        var cols = ['hints', 'rated', 'helpful_rate'];
        variants.forEach(function (v, i) {
            var th = el('th', 'group-head' + (isControl(v, exp) ? ' is-control' : ''));
            th.scope = 'colgroup';
            th.colSpan = cols.length;
            th.setAttribute('data-variant', v.name);
            var swatch = el('span', 'swatch');
            swatch.setAttribute('aria-hidden', 'true');
            swatch.setAttribute('data-color', String(i % PALETTE.length));
            th.appendChild(swatch);
            th.appendChild(el('span', null, v.name));
            if (isControl(v, exp)) th.appendChild(el('span', 'tag tag--control', t.controlTag));
            top.appendChild(th);
            cols.forEach(function (col, j) {
                var h = el('th', 'sub-head' + (j === 0 ? ' group-start' : ''), t.byTypeCols[col]);
                h.scope = 'col';
                sub.appendChild(h);
            });
        });
        thead.appendChild(top);
        thead.appendChild(sub);

        types.forEach(function (type) {
            var tr = el('tr');
            tr.setAttribute('data-hint-type', type);
            var th = el('th', 'metric-label');
            th.scope = 'row';
            var chip = el('span', 'type-chip', hintLabel(type));
            chip.setAttribute('data-hint-type', type);
            th.appendChild(chip);
            tr.appendChild(th);
            variants.forEach(function (v) {
                var row = rows[v.name][type] || null;
                cols.forEach(function (col, j) {
                    var raw = row ? row[col] : null;
                    var value = isNum(raw) ? raw : null;
                    var td = el('td', 'value' + (j === 0 ? ' group-start' : ''),
                        col === 'helpful_rate' ? fmtPct(value) : fmtInt(value));
                    td.setAttribute('data-variant', v.name);
                    td.setAttribute('data-hint-type', type);
                    td.setAttribute('data-metric', col);
                    td.setAttribute('data-value', value == null ? '' : String(value));
                    if (value == null) td.classList.add('is-null');
                    tr.appendChild(td);
                });
            });
            tbody.appendChild(tr);
        });
    }

    /* ------------------------------------------------------------------ chart */

    function hexToRgba(hex, alpha) {
        var n = parseInt(hex.slice(1), 16);
        return 'rgba(' + ((n >> 16) & 255) + ', ' + ((n >> 8) & 255) + ', ' + (n & 255) + ', ' + alpha + ')';
    }

    function destroyChart() {
        if (state.chart) {
            state.chart.destroy();
            state.chart = null;
        }
    }

    /* Every day from the first to the last (a day without rated hints stays visible as a gap on the
     * axis); the API's days as they are if they are not plain dates or span more than two years. */
    function contiguousDays(days) {
        days = days.slice().sort();
        if (days.length < 2) return days;
        var parse = function (d) {
            var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
            return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
        };
        var first = parse(days[0]);
        var last = parse(days[days.length - 1]);
        if (!isFinite(first) || !isFinite(last) || !days.every(function (d) { return isFinite(parse(d)); })) return days;
        var count = Math.round((last - first) / 86400000) + 1;
        if (count > 731) return days;
        var out = [];
        for (var i = 0; i < count; i++) out.push(new Date(first + i * 86400000).toISOString().slice(0, 10));
        return out;
    }

    /* Per variant three datasets: the interval's low edge, its high edge filled down to the low
     * edge (the error band), and the daily rate line. Only the lines appear in the legend and the
     * tooltip; a legend click hides a variant's line and band together. */
    function renderChart(variants, series) {
        var Chart = window.Chart;
        if (typeof Chart !== 'function') {
            dom.chartMissing.hidden = false;
            dom.chartEmpty.hidden = true;
            return;
        }
        dom.chartMissing.hidden = true;
        var days = [];
        var byVariant = {};
        series.forEach(function (row) {
            if (!row || row.day == null || row.variant == null) return;
            var day = String(row.day);
            if (days.indexOf(day) === -1) days.push(day);
            (byVariant[String(row.variant)] = byVariant[String(row.variant)] || {})[day] = row;
        });
        days = contiguousDays(days);
        var pct = function (v) { return isNum(v) ? Math.round(v * 10000) / 100 : null; };

        var info = [];
        var datasets = [];
        variants.forEach(function (v, i) {
            var color = PALETTE[i % PALETTE.length];
            var rowsFor = byVariant[v.name] || {};
            var pick = function (field) {
                return days.map(function (d) { return rowsFor[d] ? pct(rowsFor[d][field]) : null; });
            };
            var group = datasets.length;
            datasets.push({
                label: v.name + ' · ' + t.chartBand,
                data: pick('ci_low'),
                borderColor: 'transparent',
                backgroundColor: 'transparent',
                pointRadius: 0,
                pointHitRadius: 0,
                fill: false,
                spanGaps: true
            });
            info.push({ band: true, group: group });
            datasets.push({
                label: v.name + ' · ' + t.chartBand,
                data: pick('ci_high'),
                borderColor: 'transparent',
                backgroundColor: hexToRgba(color, 0.14),
                pointRadius: 0,
                pointHitRadius: 0,
                fill: '-1',
                spanGaps: true
            });
            info.push({ band: true, group: group });
            datasets.push({
                label: v.name,
                data: pick('rate'),
                borderColor: color,
                backgroundColor: color,
                borderWidth: 2,
                pointRadius: 3,
                pointHoverRadius: 5,
                fill: false,
                spanGaps: true,
                tension: 0
            });
            info.push({ band: false, group: group, variant: v.name, rows: rowsFor });
        });

        dom.chartEmpty.hidden = days.length > 0;
        var labels = days.map(fmtDay);

        /* A variant with a single day has no band to draw: give its point an error bar instead. */
        var isolatedErrorBars = {
            id: 'isolatedErrorBars',
            afterDatasetsDraw: function (chart) {
                var ctx = chart.ctx;
                var y = chart.scales.y;
                info.forEach(function (meta, index) {
                    if (meta.band || !chart.isDatasetVisible(index)) return;
                    var rates = chart.data.datasets[index].data;
                    var lows = chart.data.datasets[meta.group].data;
                    var highs = chart.data.datasets[meta.group + 1].data;
                    var points = chart.getDatasetMeta(index).data;
                    for (var k = 0; k < rates.length; k++) {
                        if (rates[k] == null || lows[k] == null || highs[k] == null || !points[k]) continue;
                        if (rates.some(function (r, other) { return other !== k && r != null; })) continue;
                        var x = points[k].x;
                        var top = y.getPixelForValue(highs[k]);
                        var bottom = y.getPixelForValue(lows[k]);
                        ctx.save();
                        ctx.strokeStyle = chart.data.datasets[index].borderColor;
                        ctx.lineWidth = 1.5;
                        ctx.beginPath();
                        ctx.moveTo(x, top);
                        ctx.lineTo(x, bottom);
                        ctx.moveTo(x - 5, top);
                        ctx.lineTo(x + 5, top);
                        ctx.moveTo(x - 5, bottom);
                        ctx.lineTo(x + 5, bottom);
                        ctx.stroke();
                        ctx.restore();
                    }
                });
            }
        };

        var config = {
            type: 'line',
            plugins: [isolatedErrorBars],
            data: { labels: labels, datasets: datasets },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false, /* numbers first: a reload must not replay a motion */
                interaction: { mode: 'index', intersect: false },
                scales: {
                    y: {
                        min: 0,
                        max: 100,
                        ticks: { callback: function (value) { return value + ' %'; } },
                        title: { display: true, text: t.metrics.helpful_rate[0] }
                    },
                    x: { offset: true, ticks: { autoSkip: true, maxRotation: 0 } }
                },
                plugins: {
                    legend: {
                        position: 'bottom',
                        labels: {
                            filter: function (item) { return !(info[item.datasetIndex] || {}).band; }
                        },
                        onClick: function (event, item, legend) {
                            var chart = legend.chart;
                            var meta = info[item.datasetIndex];
                            if (!meta) return;
                            var visible = chart.isDatasetVisible(item.datasetIndex);
                            for (var k = meta.group; k < meta.group + 3; k++) chart.setDatasetVisibility(k, !visible);
                            chart.update();
                        }
                    },
                    tooltip: {
                        filter: function (item) { return !(info[item.datasetIndex] || {}).band; },
                        callbacks: {
                            title: function (items) {
                                return items.length ? fmtTime(days[items[0].dataIndex]) : '';
                            },
                            label: function (item) {
                                var meta = info[item.datasetIndex];
                                var row = meta && meta.rows ? meta.rows[days[item.dataIndex]] : null;
                                if (!row) return meta ? meta.variant + ': ' + DASH : '';
                                var text = meta.variant + ': ' + fmtRateCI(row.rate, row.ci_low, row.ci_high);
                                if (isNum(row.rated)) text += ' · ' + t.ratedOf(fmtInt(row.helpful), fmtInt(row.rated));
                                return text;
                            }
                        }
                    }
                }
            }
        };

        /* A new chart each time: the legend, tooltip and error-bar callbacks close over this data. */
        destroyChart();
        state.chart = new Chart(dom.canvas, config);
        dom.canvas.setAttribute('data-days', String(days.length));
        dom.canvas.setAttribute('data-datasets', String(datasets.length));
    }

    /* ------------------------------------------------------------------ actions */

    function showDone(text) {
        window.clearTimeout(state.doneTimer);
        setText(dom.done, text);
        state.doneTimer = window.setTimeout(function () { setText(dom.done, ''); }, 6000);
    }

    function showActionError(message) {
        window.clearTimeout(state.doneTimer);
        setText(dom.done, '');
        setText(dom.actionError, t.actionFailed + message);
        dom.actionError.hidden = false;
    }

    function clearActionError() {
        dom.actionError.hidden = true;
        setText(dom.actionError, '');
    }

    function act(action, body) {
        var key = state.key;
        if (!key || state.busy || state.blocked) return Promise.resolve();
        state.busy = true;
        clearActionError();
        var status = state.detail && state.detail.experiment ? state.detail.experiment.status : null;
        updateActions(status);
        dom.main.setAttribute('data-action', action);
        return api('POST', experimentPath(key) + '/' + action, body || {}).then(function (data) {
            var updated = data.experiment;
            if (updated && updated.status && key === state.key) {
                setText(dom.status, statusLabel(updated.status));
                dom.status.setAttribute('data-status', String(updated.status));
                status = updated.status;
            }
            dom.concludeForm.hidden = true;
            showDone(t.done[action] || '');
            state.busy = false;
            return loadAll(key);
        }, function (error) {
            state.busy = false;
            if (error.status === 401) {
                showBlocked('unauthorized');
                return;
            }
            showActionError(error.status ? error.message : t.offline);
        }).then(function () {
            state.busy = false;
            dom.main.removeAttribute('data-action');
            var current = state.detail && state.detail.experiment ? state.detail.experiment.status : status;
            if (!state.blocked) updateActions(current);
        });
    }

    /* ------------------------------------------------------------------ start */

    function start() {
        dom.main = document.getElementById('experiments-main');
        if (!dom.main) return;
        dom.alert = document.getElementById('admin-alert');
        dom.picker = document.getElementById('picker');
        dom.select = document.getElementById('experiment-select');
        dom.refresh = document.getElementById('refresh');
        dom.updated = document.getElementById('updated-at');
        dom.empty = document.getElementById('no-experiments');
        dom.loading = document.getElementById('loading');
        dom.detail = document.getElementById('experiment-detail');
        dom.title = document.getElementById('exp-title');
        dom.key = document.getElementById('exp-key');
        dom.description = document.getElementById('exp-description');
        dom.status = document.getElementById('exp-status');
        dom.control = document.getElementById('exp-control');
        dom.winner = document.getElementById('exp-winner');
        dom.started = document.getElementById('exp-started');
        dom.concluded = document.getElementById('exp-concluded');
        dom.allocation = document.getElementById('exp-allocation');
        dom.pause = document.getElementById('action-pause');
        dom.resume = document.getElementById('action-resume');
        dom.conclude = document.getElementById('action-conclude');
        dom.concludeForm = document.getElementById('conclude-form');
        dom.concludeWinner = document.getElementById('conclude-winner');
        dom.concludeConfirm = document.getElementById('conclude-confirm');
        dom.concludeCancel = document.getElementById('conclude-cancel');
        dom.actionError = document.getElementById('action-error');
        dom.done = document.getElementById('action-done');
        dom.srm = document.getElementById('srm-warning');
        dom.srmText = document.getElementById('srm-text');
        dom.verdict = document.getElementById('verdict');
        dom.verdictText = document.getElementById('verdict-text');
        dom.verdictReasons = document.getElementById('verdict-reasons');
        dom.variantsTable = document.getElementById('variants-table');
        dom.byTypeTable = document.getElementById('by-type-table');
        dom.byTypeEmpty = document.getElementById('by-type-empty');
        dom.canvas = document.getElementById('helpful-chart');
        dom.chartEmpty = document.getElementById('chart-empty');
        dom.chartMissing = document.getElementById('chart-missing');

        applyLanguage(pickLanguage());

        dom.select.addEventListener('change', function () {
            if (!dom.select.value || dom.select.value === state.key) return;
            clearActionError();
            dom.concludeForm.hidden = true;
            dom.concludeWinner.value = '';
            loadDetail(dom.select.value);
        });
        dom.refresh.addEventListener('click', function () {
            hideAlert();
            state.blocked = null;
            loadAll(state.key);
        });
        dom.pause.addEventListener('click', function () { act('pause'); });
        dom.resume.addEventListener('click', function () { act('resume'); });
        dom.conclude.addEventListener('click', function () {
            clearActionError();
            dom.concludeForm.hidden = false;
            dom.concludeWinner.focus();
        });
        dom.concludeCancel.addEventListener('click', function () {
            dom.concludeForm.hidden = true;
            dom.conclude.focus();
        });
        dom.concludeWinner.addEventListener('change', function () {
            dom.concludeConfirm.disabled = state.busy || !dom.concludeWinner.value;
        });
        dom.concludeForm.addEventListener('submit', function (event) {
            event.preventDefault();
            var winner = dom.concludeWinner.value;
            if (!winner) {
                dom.concludeWinner.focus();
                return;
            }
            act('conclude', { winner: winner });
        });
        window.addEventListener('hashchange', function () {
            var wanted = hashParam('experiment');
            if (wanted && wanted !== state.key && !state.blocked) loadDetail(wanted);
        });

        window.experimentsPage = {
            reload: function () { return loadAll(state.key); },
            get chart() { return state.chart; },
            get data() { return state.detail; }
        };

        loadAll(hashParam('experiment'));
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
})(window, document);
