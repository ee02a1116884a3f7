/*
 * Admin page for costs and pipeline activity (/admin/costs/): daily LLM cost by model and variant
 * (from the rollup), hints per type, the outcome of every message, the cache hit rate and analyses
 * per minute over the last hour. Charts are Chart.js from Debian's libjs-chart.js (served by nginx
 * under /vendor/); every value from the server is inserted as text.
 *
 * Data: GET /coaching/admin/costs?days=N and GET /coaching/admin/stats?period=P.
 */
import {
    api, el, clear, setText, pickLanguage, applyStrings, hintLabel, loadHintTypes, setPageState, showAlert, hideAlert,
    loadFailureKind, fmtInt, fmtPct, fmtMoney, isNum, DASH
} from './admin-common.js';

const STRINGS = {
    pt: {
        pageTitle: 'Custos e estatísticas',
        skip: 'Ir para os números',
        navExperiments: 'Experimentos', navSettings: 'Configurações', navCosts: 'Custos', navConsole: 'Console do agente',
        daysLabel: 'Custos dos últimos', days7: '7 dias', days30: '30 dias', days90: '90 dias', days366: '12 meses',
        periodLabel: 'Atividade de', period1h: '1 hora', period24h: '24 horas', period7d: '7 dias', period30d: '30 dias',
        refresh: 'Atualizar', updated: 'Atualizado às ', loading: 'Carregando…',
        chartMissing: 'Biblioteca de gráficos indisponível (pacote Debian libjs-chart.js).',
        totalCost: 'Custo de LLM no período', calls: 'Chamadas ao LLM', cacheRate: 'Acerto do cache', queue: 'Fila agora',
        costRange: function (from, to) { return from + ' a ' + to; },
        tokens: function (p, c) { return p + ' tokens de entrada · ' + c + ' de saída'; },
        cacheSub: function (h, l) { return h + ' de ' + l + ' análises vieram do cache'; },
        queueSub: function (p) { return p + ' em análise agora'; },
        costChart: 'Custo diário por modelo e variante', noCosts: 'Nenhuma chamada ao LLM no período.',
        byModel: 'Por modelo', byVariant: 'Por variante', model: 'Modelo', variant: 'Variante',
        costNote: 'Todas as chamadas, inclusive as que não geraram dica, lidas do resumo diário coaching_cost_daily.',
        cols: { calls: 'Chamadas', tokens: 'Tokens', cost: 'Custo', hints: 'Dicas', viewed: 'Vistas', helpful: 'Úteis',
                not_helpful: 'Não úteis', messages: 'Mensagens', share: 'Parcela' },
        minuteChart: 'Análises por minuto (última hora)',
        minuteNote: function (n) { return n + ' análises na última hora (dica, sem dica, cache, orçamento ou falha).'; },
        analyses: 'Análises',
        typesChart: 'Dicas por tipo', noHints: 'Nenhuma dica no período.', hintType: 'Tipo',
        outcomesChart: 'Resultado de cada mensagem', noOutcomes: 'Nenhuma mensagem concluída no período.', outcome: 'Resultado',
        outcomes: {
            hint: 'Dica', cached: 'Dica do cache', no_hint: 'Sem dica', merged: 'Agrupada', budget: 'Limite de custo',
            failed: 'Falhou', duplicate: 'Duplicada', filtered: 'Filtrada'
        },
        unauthorized: 'Sessão ausente ou expirada. Abra esta página com um token de administrador ou supervisor: /admin/costs/#token=… (o “make run” imprime um ADMIN_TOKEN).',
        forbidden: 'Sua conta não tem acesso aos custos: esta página é só para administradores e supervisores.',
        offline: 'Não foi possível falar com o serviço. Tente “Atualizar” em instantes.',
        loadFailed: 'Não foi possível carregar os números: '
    },
    en: {
        pageTitle: 'Costs and stats',
        skip: 'Skip to the numbers',
        navExperiments: 'Experiments', navSettings: 'Settings', navCosts: 'Costs', navConsole: 'Agent console',
        daysLabel: 'Costs of the last', days7: '7 days', days30: '30 days', days90: '90 days', days366: '12 months',
        periodLabel: 'Activity of the last', period1h: '1 hour', period24h: '24 hours', period7d: '7 days', period30d: '30 days',
        refresh: 'Refresh', updated: 'Updated at ', loading: 'Loading…',
        chartMissing: 'Chart library unavailable (Debian package libjs-chart.js).',
        totalCost: 'LLM cost in the period', calls: 'LLM calls', cacheRate: 'Cache hit rate', queue: 'Queue now',
        costRange: function (from, to) { return from + ' to ' + to; },
        tokens: function (p, c) { return p + ' input tokens · ' + c + ' output'; },
        cacheSub: function (h, l) { return h + ' of ' + l + ' analyses came from the cache'; },
        queueSub: function (p) { return p + ' being analysed now'; },
        costChart: 'Daily cost by model and variant', noCosts: 'No LLM calls in the period.',
        byModel: 'By model', byVariant: 'By variant', model: 'Model', variant: 'Variant',
        costNote: 'Every call, including those that produced no hint, read from the daily rollup coaching_cost_daily.',
        cols: { calls: 'Calls', tokens: 'Tokens', cost: 'Cost', hints: 'Hints', viewed: 'Viewed', helpful: 'Helpful',
                not_helpful: 'Not helpful', messages: 'Messages', share: 'Share' },
        minuteChart: 'Analyses per minute (last hour)',
        minuteNote: function (n) { return n + ' analyses in the last hour (hint, no hint, cache, budget or failure).'; },
        analyses: 'Analyses',
        typesChart: 'Hints per type', noHints: 'No hints in the period.', hintType: 'Type',
        outcomesChart: 'Outcome of every message', noOutcomes: 'No finished messages in the period.', outcome: 'Outcome',
        outcomes: {
            hint: 'Hint', cached: 'Hint from cache', no_hint: 'No hint', merged: 'Merged', budget: 'Cost cap',
            failed: 'Failed', duplicate: 'Duplicate', filtered: 'Filtered'
        },
        unauthorized: 'Missing or expired session. Open this page with an admin or supervisor token: /admin/costs/#token=… (“make run” prints an ADMIN_TOKEN).',
        forbidden: 'Your account may not see costs: this page is for admins and supervisors only.',
        offline: 'Could not reach the service. Try “Refresh” in a moment.',
        loadFailed: 'Could not load the numbers: '
    }
};

const PALETTE = ['#1d4ed8', '#d97706', '#059669', '#7c3aed', '#dc2626', '#0891b2', '#4b5563', '#db2777', '#65a30d', '#9333ea'];
/* Same colours as the agent's cards (realtime-coaching.css). */
const TYPE_COLOURS = {
    objection: '#dc2626', opportunity: '#16a34a', question: '#2563eb', negative_sentiment: '#ca8a04',
    buying_signal: '#9333ea', closing_opportunity: '#0ea5e9', escalation_needed: '#b91c1c'
};

const lang = pickLanguage();
const t = STRINGS[lang];
const dom = {};
const state = { costs: null, stats: null, charts: {}, seq: 0 };

/* ------------------------------------------------------------------ labels */

function outcomeLabel(outcome) {
    const text = String(outcome);
    if (text.indexOf('filtered:') === 0) return t.outcomes.filtered + ' · ' + text.slice('filtered:'.length).replace(/_/g, ' ');
    return t.outcomes[text] || text;
}

function fmtDay(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value || ''));
    if (!m) return String(value || '');
    return lang === 'pt' ? m[3] + '/' + m[2] : m[2] + '/' + m[3];
}

/* ------------------------------------------------------------------ tables */

function table(node, headers, rows) {
    const head = node.querySelector('thead');
    const body = node.querySelector('tbody');
    clear(head);
    clear(body);
    const tr = el('tr');
    headers.forEach((text, i) => {
        const th = el('th', i === 0 ? 'corner' : null, text);
        th.scope = 'col';
        tr.appendChild(th);
    });
    head.appendChild(tr);
    rows.forEach((row) => {
        const line = el('tr');
        Object.keys(row.attrs || {}).forEach((name) => line.setAttribute(name, row.attrs[name]));
        row.cells.forEach((cell, i) => {
            const td = el(i === 0 ? 'th' : 'td', i === 0 ? 'metric-label' : null, cell.text);
            if (i === 0) td.scope = 'row';
            if (cell.value != null) td.setAttribute('data-value', String(cell.value));
            if (cell.name) td.setAttribute('data-col', cell.name);
            line.appendChild(td);
        });
        body.appendChild(line);
    });
}

function costCells(total) {
    return [
        { name: 'calls', text: fmtInt(lang, total.calls), value: total.calls },
        { name: 'tokens', text: fmtInt(lang, total.prompt_tokens + total.completion_tokens),
          value: total.prompt_tokens + total.completion_tokens },
        { name: 'cost', text: fmtMoney(lang, total.cost), value: total.cost }
    ];
}

/* ------------------------------------------------------------------ charts */

function chartAvailable() {
    const ok = typeof window.Chart === 'function';
    dom.chartMissing.hidden = ok;
    return ok;
}

function drawChart(name, canvas, config) {
    if (state.charts[name]) {
        state.charts[name].destroy();
        delete state.charts[name];
    }
    if (!chartAvailable()) return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    state.charts[name] = new window.Chart(canvas, config);
}

function renderCostChart(costs) {
    const days = [];
    for (let d = new Date(costs.from + 'T00:00:00Z'); d <= new Date(costs.to + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + 1)) {
        days.push(d.toISOString().slice(0, 10));
    }
    const series = {};
    const order = [];
    (costs.daily || []).forEach((row) => {
        const key = row.model + ' · ' + row.variant;
        if (!series[key]) {
            series[key] = {};
            order.push(key);
        }
        series[key][row.day] = row.cost;
    });
    dom.costEmpty.hidden = order.length > 0;
    dom.costCanvas.setAttribute('aria-label', t.costChart);
    drawChart('cost', dom.costCanvas, {
        type: 'bar',
        data: {
            labels: days.map(fmtDay),
            datasets: order.map((key, i) => ({
                label: key,
                data: days.map((day) => series[key][day] || 0),
                backgroundColor: PALETTE[i % PALETTE.length],
                stack: 'cost'
            }))
        },
        options: {
            scales: {
                x: { stacked: true },
                y: { stacked: true, beginAtZero: true, ticks: { callback: (value) => fmtMoney(lang, value) } }
            },
            plugins: {
                legend: { display: order.length > 0, position: 'bottom' },
                tooltip: { callbacks: { label: (item) => item.dataset.label + ': ' + fmtMoney(lang, item.raw) } }
            }
        }
    });
}

function renderMinuteChart(stats) {
    const minutes = stats.analyses_per_minute || [];
    const total = minutes.reduce((sum, m) => sum + (isNum(m.analyses) ? m.analyses : 0), 0);
    setText(dom.minuteNote, t.minuteNote(fmtInt(lang, total)));
    dom.minuteNote.setAttribute('data-total', String(total));
    dom.minuteCanvas.setAttribute('aria-label', t.minuteChart);
    drawChart('minutes', dom.minuteCanvas, {
        type: 'line',
        data: {
            labels: minutes.map((m) => String(m.minute).slice(11, 16)),
            datasets: [{ label: t.analyses, data: minutes.map((m) => m.analyses), borderColor: PALETTE[0],
                         backgroundColor: 'rgba(29, 78, 216, 0.15)', fill: true, pointRadius: 0, tension: 0.2 }]
        },
        options: {
            scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
            plugins: { legend: { display: false } }
        }
    });
}

function renderTypes(stats) {
    const rows = stats.hints_by_type || [];
    dom.typesEmpty.hidden = rows.length > 0;
    dom.typesCanvas.setAttribute('aria-label', t.typesChart);
    drawChart('types', dom.typesCanvas, {
        type: 'bar',
        data: {
            labels: rows.map((r) => hintLabel(lang, r.hint_type)),
            datasets: [{ label: t.cols.hints, data: rows.map((r) => r.total),
                         backgroundColor: rows.map((r) => TYPE_COLOURS[r.hint_type] || PALETTE[6]) }]
        },
        options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
    });
    table(dom.typesTable, [t.hintType, t.cols.hints, t.cols.viewed, t.cols.helpful, t.cols.not_helpful, t.cols.cost],
        rows.map((r) => ({
            attrs: { 'data-hint-type': r.hint_type },
            cells: [
                { text: hintLabel(lang, r.hint_type) },
                { name: 'hints', text: fmtInt(lang, r.total), value: r.total },
                { name: 'viewed', text: fmtInt(lang, r.viewed), value: r.viewed },
                { name: 'helpful', text: fmtInt(lang, r.helpful), value: r.helpful },
                { name: 'not_helpful', text: fmtInt(lang, r.not_helpful), value: r.not_helpful },
                { name: 'cost', text: fmtMoney(lang, r.total_cost), value: r.total_cost }
            ]
        })));
}

function renderOutcomes(stats) {
    const rows = stats.outcomes || [];
    const total = rows.reduce((sum, r) => sum + r.messages, 0);
    dom.outcomesEmpty.hidden = rows.length > 0;
    dom.outcomesCanvas.setAttribute('aria-label', t.outcomesChart);
    drawChart('outcomes', dom.outcomesCanvas, {
        type: 'doughnut',
        data: {
            labels: rows.map((r) => outcomeLabel(r.outcome)),
            datasets: [{ data: rows.map((r) => r.messages), backgroundColor: rows.map((_, i) => PALETTE[i % PALETTE.length]) }]
        },
        options: { plugins: { legend: { position: 'right' } } }
    });
    table(dom.outcomesTable, [t.outcome, t.cols.messages, t.cols.share], rows.map((r) => ({
        attrs: { 'data-outcome': r.outcome },
        cells: [
            { text: outcomeLabel(r.outcome) },
            { name: 'messages', text: fmtInt(lang, r.messages), value: r.messages },
            { name: 'share', text: fmtPct(lang, total ? r.messages / total : null) }
        ]
    })));
}

function renderCosts(costs) {
    const total = costs.total || { calls: 0, prompt_tokens: 0, completion_tokens: 0, cost: 0 };
    setText(dom.tileCost, fmtMoney(lang, total.cost));
    dom.tileCost.setAttribute('data-value', String(total.cost));
    setText(dom.tileCostSub, t.costRange(fmtDay(costs.from), fmtDay(costs.to)));
    setText(dom.tileCalls, fmtInt(lang, total.calls));
    dom.tileCalls.setAttribute('data-value', String(total.calls));
    setText(dom.tileTokens, t.tokens(fmtInt(lang, total.prompt_tokens), fmtInt(lang, total.completion_tokens)));
    table(dom.byModel, [t.model, t.cols.calls, t.cols.tokens, t.cols.cost], (costs.by_model || []).map((row) => ({
        attrs: { 'data-model': row.model }, cells: [{ text: row.model }].concat(costCells(row))
    })));
    table(dom.byVariant, [t.variant, t.cols.calls, t.cols.tokens, t.cols.cost], (costs.by_variant || []).map((row) => ({
        attrs: { 'data-variant': row.variant }, cells: [{ text: row.variant }].concat(costCells(row))
    })));
    renderCostChart(costs);
}

function renderStats(stats) {
    const cache = stats.cache || {};
    setText(dom.tileCache, isNum(cache.hit_rate) ? fmtPct(lang, cache.hit_rate) : DASH);
    dom.tileCache.setAttribute('data-value', cache.hit_rate == null ? '' : String(cache.hit_rate));
    setText(dom.tileCacheSub, t.cacheSub(fmtInt(lang, cache.hits || 0), fmtInt(lang, cache.lookups || 0)));
    const queue = stats.queue || {};
    setText(dom.tileQueue, fmtInt(lang, queue.pending || 0));
    dom.tileQueue.setAttribute('data-value', String(queue.pending || 0));
    setText(dom.tileQueueSub, t.queueSub(fmtInt(lang, queue.processing || 0)));
    renderMinuteChart(stats);
    renderTypes(stats);
    renderOutcomes(stats);
}

/* ------------------------------------------------------------------ loading */

function load() {
    const seq = ++state.seq;
    setPageState(dom.main, dom.loading, 'loading');
    const days = dom.days.value;
    const period = dom.period.value;
    return Promise.all([
        api('GET', '/coaching/admin/costs?days=' + encodeURIComponent(days)),
        api('GET', '/coaching/admin/stats?period=' + encodeURIComponent(period)),
        loadHintTypes()
    ]).then(([costs, stats]) => {
        if (seq !== state.seq) return;
        state.costs = costs;
        state.stats = stats;
        hideAlert(dom.alert);
        dom.filters.hidden = false;
        dom.reports.hidden = false;
        renderCosts(costs);
        renderStats(stats);
        setText(dom.updated, t.updated + new Date().toLocaleTimeString(lang === 'en' ? 'en-US' : 'pt-BR'));
        setPageState(dom.main, dom.loading, 'ready');
    }, (error) => {
        if (seq !== state.seq) return;
        const kind = loadFailureKind(error);
        if (kind === 'unauthorized' || kind === 'forbidden') {
            showAlert(dom.alert, t[kind], kind);
            dom.filters.hidden = true;
            dom.reports.hidden = true;
            setPageState(dom.main, dom.loading, kind);
            return;
        }
        showAlert(dom.alert, kind === 'offline' ? t.offline : t.loadFailed + error.message, kind);
        setPageState(dom.main, dom.loading, state.costs ? 'ready' : 'error');
    });
}

function start() {
    const ids = {
        main: 'costs-main', loading: 'loading', alert: 'admin-alert', filters: 'filters', reports: 'reports',
        days: 'days-select', period: 'period-select', refresh: 'refresh', updated: 'updated-at', chartMissing: 'chart-missing',
        tileCost: 'tile-cost', tileCostSub: 'tile-cost-sub', tileCalls: 'tile-calls', tileTokens: 'tile-tokens',
        tileCache: 'tile-cache', tileCacheSub: 'tile-cache-sub', tileQueue: 'tile-queue', tileQueueSub: 'tile-queue-sub',
        costCanvas: 'cost-chart', costEmpty: 'cost-empty', byModel: 'cost-by-model', byVariant: 'cost-by-variant',
        minuteCanvas: 'minute-chart', minuteNote: 'minute-note', typesCanvas: 'types-chart', typesEmpty: 'types-empty',
        typesTable: 'types-table', outcomesCanvas: 'outcomes-chart', outcomesEmpty: 'outcomes-empty', outcomesTable: 'outcomes-table'
    };
    Object.keys(ids).forEach((name) => { dom[name] = document.getElementById(ids[name]); });
    applyStrings(lang, t);
    dom.days.addEventListener('change', load);
    dom.period.addEventListener('change', load);
    dom.refresh.addEventListener('click', load);
    window.costsPage = {
        reload: load,
        get charts() { return state.charts; },
        get data() { return { costs: state.costs, stats: state.stats }; }
    };
    load();
}

start();
