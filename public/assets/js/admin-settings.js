/*
 * Admin page for the settings (/admin/settings/): every setting, built from the field list the API
 * serves (so the page and the server share one set of rules), checked by the server on "Check" and
 * on "Save", with each mistake shown under its field. The LLM key is write-only: the page only
 * learns whether one is stored.
 *
 * Data: GET /coaching/admin/settings; POST /coaching/admin/settings/validate (dry run);
 * POST /coaching/admin/settings (save). Every value is inserted as text.
 */
import {
    api, el, clear, setText, pickLanguage, applyStrings, hintLabel, loadHintTypes, setPageState, showAlert, hideAlert,
    loadFailureKind
} from './admin-common.js';

const API = '/coaching/admin/settings';

const STRINGS = {
    pt: {
        pageTitle: 'Configurações do coaching',
        skip: 'Ir para as configurações',
        navExperiments: 'Experimentos',
        navSettings: 'Configurações',
        navCosts: 'Custos',
        navConsole: 'Console do agente',
        loading: 'Carregando…',
        coachingSection: 'Coaching (configurações originais)',
        coachingNote: 'Guardadas no objeto realtime_coaching da linha conversation_settings, a mesma que a página de configurações do sistema de chat edita.',
        serviceSection: 'Serviço (modelo, limites, fila)',
        serviceNote: 'Guardadas na linha realtime_coaching_service.',
        keySection: 'Chave da API do LLM',
        keySet: 'Há uma chave guardada.',
        keyUnset: 'Nenhuma chave guardada.',
        keyEnv: 'Uma chave definida no ambiente (COACHING_OPENAI_API_KEY) tem prioridade sobre a chave guardada.',
        keyLabel: 'Nova chave',
        keyHelp: 'Só é gravada; nunca é mostrada. Deixe em branco para manter a atual.',
        keyClear: 'Remover a chave guardada',
        save: 'Salvar',
        check: 'Verificar sem salvar',
        reload: 'Descartar alterações',
        saved: function (n) { return n ? 'Salvo (' + n + (n === 1 ? ' campo alterado).' : ' campos alterados).') : 'Salvo (nada mudou).'; },
        valid: 'Tudo válido; nada foi salvo.',
        invalid: function (n) { return n === 1 ? '1 campo inválido:' : n + ' campos inválidos:'; },
        failed: 'Não foi possível salvar: ',
        range: function (min, max) { return 'De ' + min + ' a ' + max + '.'; },
        maxLength: function (n) { return 'Até ' + n + ' caracteres.'; },
        priceHelp: 'US$ por 1 milhão de tokens.',
        pricesHelp: 'Preços por modelo (US$ por 1 milhão de tokens) que substituem os padrões.',
        input: 'Entrada', output: 'Saída', model: 'Modelo',
        addModel: 'Adicionar modelo', remove: 'Remover',
        noPrices: 'Nenhum preço próprio: valem os padrões.',
        unauthorized: 'Sessão ausente ou expirada. Abra esta página com um token de administrador: /admin/settings/#token=… (o “make run” imprime um ADMIN_TOKEN).',
        forbidden: 'Sua conta não tem acesso às configurações: esta página é só para administradores e supervisores.',
        offline: 'Não foi possível falar com o serviço. Tente de novo em instantes.',
        loadFailed: 'Não foi possível carregar as configurações: ',
        labels: {
            enabled: 'Coaching ativado', model: 'Modelo', temperature: 'Temperatura',
            max_analyses_per_minute: 'Máximo de análises por minuto', min_interval_between_analyses: 'Intervalo mínimo entre análises do mesmo agente (s)',
            use_queue: 'Usar fila', queue_processing_delay: 'Espera antes de analisar (s)', max_queue_size: 'Tamanho máximo da fila',
            analyze_only_client_messages: 'Analisar só mensagens do cliente', min_message_length: 'Tamanho mínimo da mensagem (caracteres)',
            skip_if_agent_typing: 'Adiar enquanto o agente digita', use_cache: 'Usar cache', cache_ttl_minutes: 'Validade do cache (min)',
            cache_similarity_threshold: 'Similaridade mínima no cache', cost_limit_per_hour: 'Limite de custo por hora (US$)',
            cost_limit_per_day: 'Limite de custo por dia (US$)', hint_types: 'Tipos de dica', auto_show_hint: 'Mostrar dicas automaticamente',
            hint_display_duration: 'Tempo de exibição da dica (s)', play_sound: 'Tocar som',
            language: 'Idioma', provider: 'Analisador', base_url: 'URL do servidor compatível com OpenAI', max_tokens: 'Máximo de tokens na resposta',
            connect_timeout_ms: 'Tempo limite de conexão (ms)', total_timeout_ms: 'Tempo limite total (ms)', context_messages: 'Mensagens de contexto',
            budget_fallback: 'No limite de custo', prefilter: 'Pré-filtro local',
            local_answer_min_confidence: 'Pré-filtro: responder localmente com confiança mínima (0: nunca)', watch_messages_table: 'Observar a tabela messages',
            max_message_age_seconds: 'Idade máxima da mensagem (s)', typing_defer_max_seconds: 'Adiamento máximo por digitação (s)',
            typing_fresh_seconds: 'Digitação considerada atual por (s)', max_attempts: 'Tentativas', prices: 'Preços por modelo',
            unknown_model_price: 'Preço de modelo desconhecido',
            embeddings_base_url: 'Servidor de embeddings compatível com OpenAI (vazio: só regras)', embeddings_model: 'Modelo de embeddings',
            embeddings_timeout_ms: 'Tempo limite dos embeddings (ms)', similarity_cache: 'Cache por similaridade',
            similarity_min_cosine: 'Similaridade mínima (cosseno) no cache'
        },
        options: {
            provider: { auto: 'Automático (LLM com chave, senão local)', openai: 'LLM compatível com OpenAI', local: 'Analisador local' },
            budget_fallback: { local: 'Usar o analisador local', skip: 'Pular a análise' },
            language: { 'pt-BR': 'Português (Brasil)', en: 'English' }
        }
    },
    en: {
        pageTitle: 'Coaching settings',
        skip: 'Skip to the settings',
        navExperiments: 'Experiments',
        navSettings: 'Settings',
        navCosts: 'Costs',
        navConsole: 'Agent console',
        loading: 'Loading…',
        coachingSection: 'Coaching (original settings)',
        coachingNote: 'Stored in the realtime_coaching object of the conversation_settings row, the one the chat system’s own settings page edits.',
        serviceSection: 'Service (model, limits, queue)',
        serviceNote: 'Stored in the realtime_coaching_service row.',
        keySection: 'LLM API key',
        keySet: 'A key is stored.',
        keyUnset: 'No key is stored.',
        keyEnv: 'A key set in the environment (COACHING_OPENAI_API_KEY) wins over the stored key.',
        keyLabel: 'New key',
        keyHelp: 'Write-only: never shown. Leave empty to keep the current one.',
        keyClear: 'Remove the stored key',
        save: 'Save',
        check: 'Check without saving',
        reload: 'Discard changes',
        saved: function (n) { return n ? 'Saved (' + n + (n === 1 ? ' field changed).' : ' fields changed).') : 'Saved (nothing changed).'; },
        valid: 'All valid; nothing was saved.',
        invalid: function (n) { return n === 1 ? '1 invalid field:' : n + ' invalid fields:'; },
        failed: 'Could not save: ',
        range: function (min, max) { return 'From ' + min + ' to ' + max + '.'; },
        maxLength: function (n) { return 'Up to ' + n + ' characters.'; },
        priceHelp: 'USD per 1M tokens.',
        pricesHelp: 'Per-model prices (USD per 1M tokens) that replace the defaults.',
        input: 'Input', output: 'Output', model: 'Model',
        addModel: 'Add model', remove: 'Remove',
        noPrices: 'No own prices: the defaults apply.',
        unauthorized: 'Missing or expired session. Open this page with an admin token: /admin/settings/#token=… (“make run” prints an ADMIN_TOKEN).',
        forbidden: 'Your account may not see the settings: this page is for admins and supervisors only.',
        offline: 'Could not reach the service. Try again in a moment.',
        loadFailed: 'Could not load the settings: ',
        labels: {
            enabled: 'Coaching enabled', model: 'Model', temperature: 'Temperature',
            max_analyses_per_minute: 'Max analyses per minute', min_interval_between_analyses: 'Min interval between one agent’s analyses (s)',
            use_queue: 'Use the queue', queue_processing_delay: 'Wait before analysing (s)', max_queue_size: 'Max queue size',
            analyze_only_client_messages: 'Analyse customer messages only', min_message_length: 'Min message length (characters)',
            skip_if_agent_typing: 'Defer while the agent types', use_cache: 'Use the cache', cache_ttl_minutes: 'Cache lifetime (min)',
            cache_similarity_threshold: 'Cache similarity threshold', cost_limit_per_hour: 'Cost limit per hour (USD)',
            cost_limit_per_day: 'Cost limit per day (USD)', hint_types: 'Hint types', auto_show_hint: 'Show hints automatically',
            hint_display_duration: 'Hint display time (s)', play_sound: 'Play a sound',
            language: 'Language', provider: 'Analyser', base_url: 'OpenAI-compatible server URL', max_tokens: 'Max tokens in the answer',
            connect_timeout_ms: 'Connect timeout (ms)', total_timeout_ms: 'Total timeout (ms)', context_messages: 'Context messages',
            budget_fallback: 'At the cost limit', prefilter: 'Local pre-filter',
            local_answer_min_confidence: 'Pre-filter: answer locally at min confidence (0: never)', watch_messages_table: 'Watch the messages table',
            max_message_age_seconds: 'Max message age (s)', typing_defer_max_seconds: 'Max deferral while typing (s)',
            typing_fresh_seconds: 'Typing counts as current for (s)', max_attempts: 'Attempts', prices: 'Prices per model',
            unknown_model_price: 'Price of an unknown model',
            embeddings_base_url: 'OpenAI-compatible embeddings server (empty: rules only)', embeddings_model: 'Embeddings model',
            embeddings_timeout_ms: 'Embeddings timeout (ms)', similarity_cache: 'Similarity cache',
            similarity_min_cosine: 'Similarity cache: min cosine'
        },
        options: {
            provider: { auto: 'Automatic (LLM with a key, else local)', openai: 'OpenAI-compatible LLM', local: 'Local analyser' },
            budget_fallback: { local: 'Use the local analyser', skip: 'Skip the analysis' },
            language: { 'pt-BR': 'Português (Brasil)', en: 'English' }
        }
    }
};

const lang = pickLanguage();
const t = STRINGS[lang];
const dom = {};
const state = { data: null, busy: false };

/* ------------------------------------------------------------------ building the form */

function inputId(path) {
    return 'f-' + path.replace(/[^A-Za-z0-9_-]/g, '-');
}

/* One labelled field with its help and error lines; `control` is the input (or group) element. */
function fieldBox(path, labelText, control, help, isBool) {
    const box = el('div', 'field' + (isBool ? ' field--bool' : ''));
    box.setAttribute('data-field', path);
    const id = inputId(path);
    const label = el('label', 'field__label', labelText);
    label.htmlFor = id;
    if (control.tagName === 'INPUT' || control.tagName === 'SELECT') {
        control.id = id;
        control.setAttribute('aria-describedby', id + '-help ' + id + '-error');
    }
    if (isBool) {
        box.appendChild(control);
        box.appendChild(label);
    } else {
        box.appendChild(label);
        box.appendChild(control);
    }
    const helpLine = el('p', 'field__help', help || '');
    helpLine.id = id + '-help';
    helpLine.hidden = !help;
    box.appendChild(helpLine);
    const error = el('p', 'field__error');
    error.id = id + '-error';
    error.setAttribute('data-testid', 'field-error');
    error.hidden = true;
    box.appendChild(error);
    return box;
}

function numberInput(field, step) {
    const input = el('input', 'field__input field__input--number');
    input.type = 'number';
    input.step = step;
    if (field.min != null) input.min = String(field.min);
    if (field.max != null) input.max = String(field.max);
    input.inputMode = step === '1' ? 'numeric' : 'decimal';
    return input;
}

function buildField(section, field) {
    const path = section + '.' + field.key;
    const label = t.labels[field.key] || field.key;
    let control;
    let help = '';
    switch (field.type) {
    case 'bool':
        control = el('input', 'field__check');
        control.type = 'checkbox';
        return fieldBox(path, label, control, '', true);
    case 'integer':
        control = numberInput(field, '1');
        help = t.range(field.min, field.max);
        break;
    case 'number':
        control = numberInput(field, 'any');
        help = t.range(field.min, field.max);
        break;
    case 'choice':
        control = el('select', 'field__input');
        (field.options || []).forEach((value) => {
            const names = t.options[field.key] || {};
            const option = el('option', null, names[value] || value);
            option.value = value;
            control.appendChild(option);
        });
        break;
    case 'hint_types':
        return buildHintTypes(path, label, field.options || []);
    case 'price':
        return buildPrice(path, label);
    case 'prices':
        return buildPrices(path, label);
    default: /* text, url */
        control = el('input', 'field__input');
        control.type = field.type === 'url' ? 'url' : 'text';
        control.spellcheck = false;
        if (field.max_length) control.maxLength = field.max_length;
        help = field.max_length ? t.maxLength(field.max_length) : '';
    }
    return fieldBox(path, label, control, help, false);
}

function buildHintTypes(path, label, types) {
    const group = el('fieldset', 'field field--group field--wide');
    group.setAttribute('data-field', path);
    group.appendChild(el('legend', 'field__label', label));
    const list = el('div', 'checks');
    types.forEach((type) => {
        const check = el('input', 'field__check');
        check.type = 'checkbox';
        check.value = type;
        check.id = inputId(path + '.' + type);
        check.setAttribute('data-hint-type', type);
        const item = el('label', 'check', null);
        item.htmlFor = check.id;
        item.setAttribute('data-field', path + '.' + type);
        const chip = el('span', 'type-chip', hintLabel(lang, type));
        chip.setAttribute('data-hint-type', type);
        item.appendChild(check);
        item.appendChild(chip);
        list.appendChild(item);
    });
    group.appendChild(list);
    const error = el('p', 'field__error');
    error.setAttribute('data-testid', 'field-error');
    error.hidden = true;
    group.appendChild(error);
    return group;
}

function priceInputs(path) {
    const wrap = el('div', 'price');
    ['input', 'output'].forEach((part) => {
        const cell = el('label', 'price__part');
        cell.setAttribute('data-field', path + '.' + part);
        cell.appendChild(el('span', 'price__label', t[part]));
        const input = numberInput({ min: 0 }, 'any');
        input.setAttribute('data-part', part);
        cell.appendChild(input);
        wrap.appendChild(cell);
    });
    return wrap;
}

function buildPrice(path, label) {
    const group = el('fieldset', 'field field--group');
    group.setAttribute('data-field', path);
    group.appendChild(el('legend', 'field__label', label));
    group.appendChild(priceInputs(path));
    group.appendChild(el('p', 'field__help', t.priceHelp));
    const error = el('p', 'field__error');
    error.setAttribute('data-testid', 'field-error');
    error.hidden = true;
    group.appendChild(error);
    return group;
}

function buildPrices(path, label) {
    const group = el('fieldset', 'field field--group field--wide');
    group.setAttribute('data-field', path);
    group.appendChild(el('legend', 'field__label', label));
    group.appendChild(el('p', 'field__help', t.pricesHelp));
    const rows = el('div', 'prices');
    rows.id = 'prices-rows';
    group.appendChild(rows);
    const empty = el('p', 'note prices__empty', t.noPrices);
    empty.id = 'prices-empty';
    group.appendChild(empty);
    const add = el('button', 'btn btn--ghost prices__add', t.addModel);
    add.type = 'button';
    add.id = 'prices-add';
    add.addEventListener('click', () => {
        addPriceRow(path, '', null);
        rows.lastChild.querySelector('input').focus();
    });
    group.appendChild(add);
    const error = el('p', 'field__error');
    error.setAttribute('data-testid', 'field-error');
    error.hidden = true;
    group.appendChild(error);
    return group;
}

function addPriceRow(path, model, price) {
    const rows = document.getElementById('prices-rows');
    const row = el('div', 'prices__row');
    const nameCell = el('label', 'price__part');
    nameCell.appendChild(el('span', 'price__label', t.model));
    const name = el('input', 'field__input prices__model');
    name.type = 'text';
    name.spellcheck = false;
    name.maxLength = 64;
    name.value = model;
    nameCell.appendChild(name);
    row.appendChild(nameCell);
    const parts = priceInputs(path + '.' + model);
    row.appendChild(parts);
    if (price) {
        parts.querySelector('[data-part="input"]').value = String(price.input);
        parts.querySelector('[data-part="output"]').value = String(price.output);
    }
    const remove = el('button', 'btn btn--ghost', t.remove);
    remove.type = 'button';
    remove.addEventListener('click', () => {
        row.remove();
        updatePricesEmpty();
    });
    row.appendChild(remove);
    /* Errors name the model (service.prices.<model>.input): keep the row's paths in step with its name. */
    name.addEventListener('input', () => {
        const key = name.value.trim();
        row.setAttribute('data-field', path + '.' + key);
        parts.querySelectorAll('[data-field]').forEach((cell) => {
            cell.setAttribute('data-field', path + '.' + key + '.' + cell.querySelector('input').getAttribute('data-part'));
        });
    });
    row.setAttribute('data-field', path + '.' + model);
    rows.appendChild(row);
    updatePricesEmpty();
}

function updatePricesEmpty() {
    const rows = document.getElementById('prices-rows');
    document.getElementById('prices-empty').hidden = rows.children.length > 0;
}

function buildForm(schema) {
    ['realtime_coaching', 'service'].forEach((section) => {
        const box = document.getElementById(section + '-fields');
        clear(box);
        (schema[section] || []).forEach((field) => box.appendChild(buildField(section, field)));
    });
}

/* ------------------------------------------------------------------ values in and out */

function fieldNode(path) {
    return dom.form.querySelector('[data-field="' + CSS.escape(path) + '"]');
}

function fill(data) {
    const settings = data.settings || {};
    const schema = data.schema || {};
    ['realtime_coaching', 'service'].forEach((section) => {
        const values = settings[section] || {};
        (schema[section] || []).forEach((field) => {
            const path = section + '.' + field.key;
            const value = values[field.key];
            const node = fieldNode(path);
            if (!node) return;
            if (field.type === 'hint_types') {
                node.querySelectorAll('input[data-hint-type]').forEach((check) => {
                    check.checked = !!(value && value[check.getAttribute('data-hint-type')]);
                });
            } else if (field.type === 'price') {
                node.querySelector('[data-part="input"]').value = value ? String(value.input) : '';
                node.querySelector('[data-part="output"]').value = value ? String(value.output) : '';
            } else if (field.type === 'prices') {
                clear(document.getElementById('prices-rows'));
                Object.keys(value || {}).forEach((model) => addPriceRow(path, model, value[model]));
                updatePricesEmpty();
            } else {
                const input = node.querySelector('input, select');
                if (field.type === 'bool') input.checked = value === true;
                else input.value = value == null ? '' : String(value);
            }
        });
    });
    dom.keyInput.value = '';
    dom.keyClear.checked = false;
    dom.keyStatus.setAttribute('data-set', settings.api_key_set ? 'true' : 'false');
    setText(dom.keyStatus, settings.api_key_set ? t.keySet : t.keyUnset);
    dom.keyEnv.hidden = !data.api_key_in_environment;
    clear(dom.warnings);
    (data.warnings || []).forEach((text) => dom.warnings.appendChild(el('li', null, text)));
    dom.warnings.hidden = !(data.warnings || []).length;
}

/* A number input's text as a number when it is one; otherwise the text, for the server to name. */
function numberValue(input) {
    const text = input.value.trim();
    if (text === '') return input.validity && input.validity.badInput ? 'not a number' : '';
    const n = Number(text);
    return isFinite(n) ? n : text;
}

function collect() {
    const schema = state.data.schema || {};
    const body = {};
    ['realtime_coaching', 'service'].forEach((section) => {
        const out = {};
        (schema[section] || []).forEach((field) => {
            const node = fieldNode(section + '.' + field.key);
            if (!node) return;
            if (field.type === 'hint_types') {
                const flags = {};
                node.querySelectorAll('input[data-hint-type]').forEach((check) => {
                    flags[check.getAttribute('data-hint-type')] = check.checked;
                });
                out[field.key] = flags;
            } else if (field.type === 'price') {
                out[field.key] = {
                    input: numberValue(node.querySelector('[data-part="input"]')),
                    output: numberValue(node.querySelector('[data-part="output"]'))
                };
            } else if (field.type === 'prices') {
                const prices = {};
                document.querySelectorAll('#prices-rows .prices__row').forEach((row) => {
                    const model = row.querySelector('.prices__model').value.trim();
                    prices[model] = {
                        input: numberValue(row.querySelector('[data-part="input"]')),
                        output: numberValue(row.querySelector('[data-part="output"]'))
                    };
                });
                out[field.key] = prices;
            } else {
                const input = node.querySelector('input, select');
                if (field.type === 'bool') out[field.key] = input.checked;
                else if (field.type === 'integer' || field.type === 'number') out[field.key] = numberValue(input);
                else out[field.key] = input.value;
            }
        });
        /* Only what the admin changed: the server merges key by key, so a value edited meanwhile
         * elsewhere (the chat system's own settings page writes the same row) is not overwritten
         * with the copy this page loaded. */
        const loaded = (state.data.settings || {})[section] || {};
        const changed = {};
        Object.keys(out).forEach((key) => {
            if (JSON.stringify(out[key]) !== JSON.stringify(loaded[key])) changed[key] = out[key];
        });
        if (Object.keys(changed).length) body[section] = changed;
    });
    if (dom.keyInput.value.trim()) body.openai_api_key = dom.keyInput.value;
    if (dom.keyClear.checked) body.clear_openai_api_key = true;
    return body;
}

/* ------------------------------------------------------------------ errors */

function clearErrors() {
    dom.form.querySelectorAll('.field__error').forEach((node) => {
        node.hidden = true;
        node.textContent = '';
    });
    dom.form.querySelectorAll('[aria-invalid="true"]').forEach((node) => node.removeAttribute('aria-invalid'));
    dom.form.querySelectorAll('.is-invalid').forEach((node) => node.classList.remove('is-invalid'));
    dom.saveError.hidden = true;
    clear(dom.saveErrorList);
    setText(dom.saveErrorText, '');
}

/* The closest box on the page for a field path: the field itself, else its nearest parent path
 * (service.prices.gpt-x.input → the row, then the prices group). */
function boxFor(path) {
    let probe = path;
    while (probe) {
        const node = fieldNode(probe);
        if (node) return node;
        const dot = probe.lastIndexOf('.');
        probe = dot > 0 ? probe.slice(0, dot) : '';
    }
    return null;
}

function showErrors(errors) {
    const fields = Object.keys(errors || {});
    let first = null;
    fields.forEach((path) => {
        const node = boxFor(path);
        const owner = node && (node.classList.contains('field') ? node : node.closest('.field'));
        if (owner) {
            const line = owner.querySelector(':scope > .field__error');
            const exact = node === fieldNode(path) && node === owner;
            const text = exact ? errors[path] : path.split('.').slice(-2).join('.') + ': ' + errors[path];
            line.textContent = line.textContent ? line.textContent + ' · ' + text : text;
            line.hidden = false;
            owner.classList.add('is-invalid');
            node.classList.add('is-invalid');
            const input = node.matches('input, select') ? node : node.querySelector('input, select');
            if (input) input.setAttribute('aria-invalid', 'true');
            if (!first) first = input || owner;
        }
        const item = el('li', null, path + ': ' + errors[path]);
        item.setAttribute('data-field', path);
        dom.saveErrorList.appendChild(item);
    });
    setText(dom.saveErrorText, t.invalid(fields.length));
    dom.saveError.hidden = false;
    if (first && first.focus) first.focus();
}

function showFailure(error) {
    if (error && error.status === 400 && error.data && error.data.errors) {
        showErrors(error.data.errors);
        return;
    }
    if (error && error.status === 400 && error.data && error.data.field) {
        showErrors({ [error.data.field]: error.message });
        return;
    }
    setText(dom.saveErrorText, t.failed + (error && error.message ? error.message : ''));
    dom.saveError.hidden = false;
}

/* ------------------------------------------------------------------ actions */

function setBusy(busy, action) {
    state.busy = busy;
    [dom.save, dom.check, dom.reload].forEach((button) => { button.disabled = busy; });
    if (busy) dom.main.setAttribute('data-action', action);
    else dom.main.removeAttribute('data-action');
}

function submit(validateOnly) {
    if (state.busy || !state.data) return;
    clearErrors();
    setText(dom.done, '');
    setBusy(true, validateOnly ? 'check' : 'save');
    const body = collect();
    api('POST', validateOnly ? API + '/validate' : API, body).then((data) => {
        if (validateOnly) {
            setText(dom.done, t.valid);
            dom.done.setAttribute('data-result', 'valid');
        } else {
            state.data = data;
            fill(data);
            setText(dom.done, t.saved((data.changed || []).length));
            dom.done.setAttribute('data-result', 'saved');
        }
    }, (error) => {
        dom.done.setAttribute('data-result', 'error');
        /* An expired session blocks the page; a 403 (a supervisor saving) is shown as the save's error. */
        if (error && error.status === 401) {
            blocked('unauthorized');
            return;
        }
        showFailure(error);
    }).then(() => setBusy(false));
}

function blocked(kind) {
    showAlert(dom.alert, kind === 'forbidden' ? t.forbidden : t.unauthorized, kind);
    dom.form.hidden = true;
    setPageState(dom.main, dom.loading, kind);
}

function load() {
    setPageState(dom.main, dom.loading, 'loading');
    return Promise.all([api('GET', API), loadHintTypes()]).then(([data]) => {
        state.data = data;
        buildForm(data.schema || {});
        fill(data);
        dom.form.hidden = false;
        hideAlert(dom.alert);
        setPageState(dom.main, dom.loading, 'ready');
        setBusy(false);
    }, (error) => {
        const kind = loadFailureKind(error);
        if (kind === 'unauthorized' || kind === 'forbidden') {
            blocked(kind);
            return;
        }
        showAlert(dom.alert, kind === 'offline' ? t.offline : t.loadFailed + error.message, kind);
        setPageState(dom.main, dom.loading, 'error');
    });
}

function start() {
    dom.main = document.getElementById('settings-main');
    dom.loading = document.getElementById('loading');
    dom.alert = document.getElementById('admin-alert');
    dom.form = document.getElementById('settings-form');
    dom.warnings = document.getElementById('warnings');
    dom.keyStatus = document.getElementById('key-status');
    dom.keyEnv = document.getElementById('key-env');
    dom.keyInput = document.getElementById('f-openai_api_key');
    dom.keyClear = document.getElementById('f-clear_openai_api_key');
    dom.save = document.getElementById('save');
    dom.check = document.getElementById('check');
    dom.reload = document.getElementById('reload');
    dom.done = document.getElementById('save-done');
    dom.saveError = document.getElementById('save-error');
    dom.saveErrorText = document.getElementById('save-error-text');
    dom.saveErrorList = document.getElementById('save-error-list');

    applyStrings(lang, t);
    dom.form.addEventListener('submit', (event) => {
        event.preventDefault();
        submit(false);
    });
    dom.check.addEventListener('click', () => submit(true));
    dom.reload.addEventListener('click', () => {
        clearErrors();
        setText(dom.done, '');
        if (state.data) fill(state.data);
    });
    window.settingsPage = { reload: load, get data() { return state.data; } };
    load();
}

start();
