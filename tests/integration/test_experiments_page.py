"""The experiments admin page (/admin/experiments/) in a real browser (Debian's chromium, driven by
Playwright) against the real stack: variants side by side with a Chart.js chart served by nginx from
Debian's libjs-chart.js, pause / resume from the page, the error text of a refused action, and the
not-allowed message for an agent (SPEC §6, §7).

The test stack seeds the experiment `coach-style` (prompts/experiments/coach-style.json) with the
variants `concise` (control) and `question_led`, running.
"""

import json
import re
from decimal import ROUND_HALF_UP, Decimal
import shutil
import time
import uuid
from pathlib import Path

import pytest

from conftest import SCREENSHOTS, assert_error, json_body, wait_until



PAGE = "/admin/experiments/"
LIST = "/coaching/admin/experiments"
EXPERIMENT = "coach-style"
CONTROL = "concise"
CHALLENGER = "question_led"
DASH = "\u2013"

READY = '#experiments-main[data-state="ready"]'
METRIC_KEYS = (
    "agents", "hints", "view_rate", "feedback_rate", "helpful_rate", "suggestion_use_rate", "no_hint_rate",
    "invalid_output_rate", "cost_per_hint", "latency_p50", "latency_p95", "prob_best", "prob_beats_control",
    "conversion_rate", "value_per_conversation",
)


@pytest.fixture
def open_page(open_admin_page):
    """Opens the page the way a person would: the token in the URL's fragment (#token=…)."""
    def open_(user=None, locale="en-US", experiment=EXPERIMENT, fake_api=None):
        routes = {re.compile(r"/coaching/admin/experiments(?:[/?#]|$)"): fake_api} if fake_api is not None else None
        return open_admin_page(PAGE, user, locale, fragment=["experiment=" + experiment] if experiment else [],
                               routes=routes)

    return open_


def list_item(api, user, key=EXPERIMENT):
    body = json_body(api.get(LIST, user=user))
    assert body["success"] is True
    for item in body["experiments"]:
        if item["key"] == key:
            return item
    pytest.fail("the test stack should seed the experiment %r; the list has %r"
                % (key, [e.get("key") for e in body["experiments"]]))


def detail(api, user, key=EXPERIMENT):
    body = json_body(api.get(LIST + "/" + key, user=user))
    assert body["success"] is True
    return body


@pytest.fixture
def running_experiment(api, admin):
    """coach-style, running before the test and running again after it (whatever the test did)."""
    item = list_item(api, admin)
    if item["status"] == "concluded":
        pytest.fail("%s is concluded in the test database; the page tests need it running" % EXPERIMENT)
    if item["status"] != "running":
        json_body(api.post(LIST + "/%s/resume" % EXPERIMENT, user=admin, json={}))
    yield item
    if list_item(api, admin)["status"] == "paused":
        json_body(api.post(LIST + "/%s/resume" % EXPERIMENT, user=admin, json={}))


@pytest.fixture
def rated_hints(factory, db):
    """Two agents per variant with rated hints today, recorded the way the pipeline records them
    (experiment and variant on each hint, a sticky assignment per agent), so the comparison has
    rates, intervals and a point per variant in the daily series. Removed afterwards."""
    plan = {CONTROL: ("helpful", "not_helpful", "not_helpful"), CHALLENGER: ("helpful", "helpful", "not_helpful")}
    agents = []
    for variant, feedbacks in plan.items():
        for _ in range(2):
            agent = factory.agent()
            agents.append(agent.id)
            db.execute(
                "INSERT INTO coaching_experiment_assignments (experiment_key, agent_id, variant, bucket, method)"
                " VALUES (%s, %s, %s, 0, 'hash')",
                (EXPERIMENT, agent.id, variant),
            )
            conversation = factory.conversation(agent.id)
            message = factory.message(conversation)
            for index, feedback in enumerate(feedbacks):
                hint = factory.hint(conversation, agent.id, message_id=message, feedback=feedback,
                                    hint_type="objection" if index else "question", age_seconds=60 + index, viewed_ago=30)
                db.execute("UPDATE realtime_coaching_hints SET experiment_key = %s, variant = %s WHERE id = %s",
                           (EXPERIMENT, variant, hint))
    yield agents
    db.execute(
        "DELETE FROM coaching_experiment_assignments WHERE experiment_key = %%s AND agent_id IN (%s)"
        % ", ".join(["%s"] * len(agents)),
        (EXPERIMENT, *agents),
    )


def wait_ready(page, timeout=15000):
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_function(
        "() => { const m = document.getElementById('experiments-main');"
        " return m.getAttribute('aria-busy') === 'false' && !m.hasAttribute('data-action'); }",
        timeout=timeout,
    )


def css_string(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def cell(page, variant, metric, table="#variants-table"):
    return page.locator('%s td[data-variant="%s"][data-metric="%s"]' % (table, css_string(variant), metric))


def shown(page, variant, metric):
    return cell(page, variant, metric).locator('[data-testid="metric-value"]').inner_text().strip()


def value_attr(value):
    """What the page puts in data-value for a number from the API ('' for null)."""
    if value is None:
        return ""
    return json.dumps(value)  # the same shortest round-trip text as JavaScript's String(number)


def pct1(fraction):
    """What the page shows for a rate in English: one decimal, halves away from zero, like Intl."""
    return str(Decimal(fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected_helpful_text(helpful):
    if helpful["rate"] is None:
        return DASH
    text = pct1(helpful["rate"]) + " %"
    if helpful["ci_low"] is not None and helpful["ci_high"] is not None:
        text += " (%s%s%s)" % (pct1(helpful["ci_low"]), DASH, pct1(helpful["ci_high"]))
    return text


def compare_with_api(page, body):
    """The table's values against a detail answer fetched by the test itself; returns mismatches."""
    problems = []
    for variant in body["variants"]:
        name = variant["name"]
        for metric, expected in (("agents", variant["agents"]), ("hints", variant["hints"])):
            if cell(page, name, metric).get_attribute("data-value") != str(expected):
                problems.append((name, metric, cell(page, name, metric).get_attribute("data-value"), expected))
            if shown(page, name, metric) != format(expected, ","):
                problems.append((name, metric, shown(page, name, metric), format(expected, ",")))
        helpful = variant["helpful"]
        got = cell(page, name, "helpful_rate").get_attribute("data-value")
        if got != value_attr(helpful["rate"]) and not (got and helpful["rate"] is not None
                                                        and float(got) == helpful["rate"]):
            problems.append((name, "helpful_rate", got, helpful["rate"]))
        text = shown(page, name, "helpful_rate")
        if text != expected_helpful_text(helpful):
            problems.append((name, "helpful_rate text", text, expected_helpful_text(helpful)))
    return problems


# ---------------------------------------------------------------------------
# (1) an admin sees the variants side by side and the chart
# ---------------------------------------------------------------------------


def test_admin_sees_variants_side_by_side_with_a_chart(open_page, api, admin, running_experiment, rated_hints):
    page = open_page(admin)
    wait_ready(page)
    assert "token=" not in page.url, "the token must leave the address bar"
    assert page.locator("#exp-key").inner_text().strip() == EXPERIMENT
    assert page.locator("#exp-status").get_attribute("data-status") == "running"
    assert page.locator("#exp-control").inner_text().strip() == CONTROL

    # one column per variant, control first and marked
    body = detail(api, admin)
    names = [v["name"] for v in body["variants"]]
    assert {CONTROL, CHALLENGER} <= set(names), names
    heads = page.eval_on_selector_all("#variants-table thead th[data-variant]", "els => els.map(e => e.dataset.variant)")
    assert heads[0] == CONTROL
    assert sorted(heads) == sorted(names)
    control_head = page.locator('#variants-table thead th[data-variant="%s"]' % CONTROL)
    assert control_head.locator('[data-testid="control-tag"]').count() == 1
    assert page.locator('#variants-table thead th[data-variant="%s"] [data-testid="control-tag"]' % CHALLENGER).count() == 0
    rows = page.eval_on_selector_all("#variants-table tbody tr", "rows => rows.map(r => r.dataset.metric)")
    assert tuple(rows) == METRIC_KEYS
    for metric in METRIC_KEYS:
        assert page.locator('#variants-table td[data-metric="%s"]' % metric).count() == len(names), metric

    # values equal the JSON endpoint's (fetched again after a reload if hints arrived in between)
    problems = None
    for _ in range(3):
        page.evaluate("() => window.experimentsPage.reload()")
        wait_ready(page)
        problems = compare_with_api(page, detail(api, admin))
        if not problems:
            break
    assert not problems, problems

    # Chart.js from /vendor/ (Debian's libjs-chart.js) has drawn on the canvas
    page.wait_for_function("() => typeof window.Chart === 'function'"
                           " && !!window.Chart.getChart(document.getElementById('helpful-chart'))", timeout=10000)
    chart = page.evaluate(
        """() => {
            const canvas = document.getElementById('helpful-chart');
            const chart = window.Chart.getChart(canvas);
            return {version: window.Chart.version, datasets: chart.data.datasets.length,
                    lines: chart.data.datasets.filter(d => d.fill === false && d.pointRadius > 0).map(d => d.label),
                    width: canvas.width, height: canvas.height};
        }"""
    )
    assert chart["datasets"] == 3 * len(names)  # interval low, interval high (band), rate line
    assert sorted(chart["lines"]) == sorted(names)
    assert chart["width"] > 0 and chart["height"] > 0
    today = [p for p in body["series"] if p["rated"] and p["rate"] is not None]
    assert {p["variant"] for p in today} >= {CONTROL, CHALLENGER}, body["series"]
    plotted = page.evaluate(
        """() => Object.fromEntries(window.Chart.getChart(document.getElementById('helpful-chart')).data.datasets
                 .filter(d => d.fill === false && d.pointRadius > 0)
                 .map(d => [d.label, d.data.filter(v => v !== null).length]))"""
    )
    assert plotted[CONTROL] >= 1 and plotted[CHALLENGER] >= 1, plotted
    vendor = api.get("/vendor/chart.js/chart.min.js")
    assert vendor.status_code == 200 and "Chart.js v" in vendor.text[:200]
    assert chart["version"] and chart["version"] in vendor.text[:200]
    assert "max-age" in vendor.headers.get("Cache-Control", "")

    # the verdict: a winner or the reasons why none yet
    verdict = body["verdict"]
    if verdict["winner"] is None:
        assert page.locator("#verdict").get_attribute("data-winner") == ""
        shown_reasons = [r.strip() for r in page.locator('[data-testid="verdict-reason"]').all_inner_texts()]
        assert len(shown_reasons) == len(verdict["reasons"])
    else:
        assert page.locator("#verdict").get_attribute("data-winner") == verdict["winner"]
    srm = body.get("srm")
    assert page.locator("#srm-warning").is_visible() is bool(srm and srm.get("mismatch"))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-experiments.png"), full_page=True)
    assert page.errors == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_a_supervisor_may_read_the_experiments(api, factory):
    supervisor = factory.user("supervisor")
    assert list_item(api, supervisor)["key"] == EXPERIMENT


# ---------------------------------------------------------------------------
# (2) pause and resume from the page
# ---------------------------------------------------------------------------


def test_pause_and_resume_from_the_page(open_page, api, admin, running_experiment):
    page = open_page(admin)
    wait_ready(page)
    assert page.locator("#exp-status").get_attribute("data-status") == "running"
    assert page.locator("#action-resume").is_hidden()

    page.click("#action-pause")
    page.wait_for_selector('#exp-status[data-status="paused"]', timeout=10000)
    wait_ready(page)
    wait_until(lambda: list_item(api, admin)["status"] == "paused", timeout=5, message="the list to say paused")
    assert page.locator("#action-pause").is_hidden()
    assert page.locator("#action-resume").is_visible()
    assert page.locator("#action-error").is_hidden()
    assert page.locator('#experiment-select option[value="%s"]' % EXPERIMENT).get_attribute("data-status") == "paused"

    page.click("#action-resume")
    page.wait_for_selector('#exp-status[data-status="running"]', timeout=10000)
    wait_ready(page)
    wait_until(lambda: list_item(api, admin)["status"] == "running", timeout=5, message="the list to say running")
    assert page.locator("#action-pause").is_visible()
    assert page.errors == []


def test_a_refused_conclude_shows_the_api_error_and_changes_nothing(open_page, api, admin, running_experiment):
    """Concluding with a variant the server does not know (a stale page, say) is a 400 whose `error` text
    the page shows; the experiment keeps running."""
    bogus = "gone_%s" % uuid.uuid4().hex[:6]
    expected = assert_error(api.post(LIST + "/%s/conclude" % EXPERIMENT, user=admin, json={"winner": bogus}), 400)
    assert list_item(api, admin)["status"] == "running"

    page = open_page(admin)
    wait_ready(page)
    page.click("#action-conclude")
    page.wait_for_selector("#conclude-form", state="visible")
    options = page.eval_on_selector_all("#conclude-winner option", "os => os.map(o => o.value).filter(Boolean)")
    assert options[0] == CONTROL and CHALLENGER in options
    page.evaluate(
        """(name) => {
            const select = document.getElementById('conclude-winner');
            const option = document.createElement('option');
            option.value = name;
            option.textContent = name;
            select.appendChild(option);
            select.value = name;
            select.dispatchEvent(new Event('change'));
        }""",
        bogus,
    )
    page.click("#conclude-confirm")
    page.wait_for_selector("#action-error", state="visible", timeout=10000)
    assert expected["error"] in page.locator("#action-error").inner_text()
    assert page.locator("#exp-status").get_attribute("data-status") == "running"
    assert list_item(api, admin)["status"] == "running"


# ---------------------------------------------------------------------------
# (3) agents are not allowed
# ---------------------------------------------------------------------------


def test_an_agent_gets_403_and_the_page_says_not_allowed(open_page, api, factory, admin):
    agent = factory.agent()
    before = list_item(api, admin)["status"]
    assert_error(api.get(LIST, user=agent), 403)
    assert_error(api.get(LIST, user=agent, cookie=True), 403)
    assert_error(api.get(LIST + "/" + EXPERIMENT, user=agent), 403)
    assert_error(api.post(LIST + "/%s/pause" % EXPERIMENT, user=agent, json={}), 403)
    assert list_item(api, admin)["status"] == before

    page = open_page(agent)
    page.wait_for_selector('#experiments-main[data-state="forbidden"]', timeout=15000)
    alert = page.locator("#admin-alert")
    assert alert.is_visible()
    assert alert.get_attribute("data-kind") == "forbidden"
    assert "admins and supervisors only" in alert.inner_text()
    assert page.locator("#experiment-detail").is_hidden()
    assert page.locator("#action-pause").is_hidden()


def test_without_a_session_the_page_asks_for_a_token(open_page, api):
    assert_error(api.get(LIST), 401)
    page = open_page(None, locale="pt-BR")
    page.wait_for_selector('#experiments-main[data-state="unauthorized"]', timeout=15000)
    alert = page.locator("#admin-alert")
    assert alert.get_attribute("data-kind") == "unauthorized"
    assert "token" in alert.inner_text()
    assert page.evaluate("document.documentElement.lang") == "pt-BR"


# ---------------------------------------------------------------------------
# (4) markup stays text
# ---------------------------------------------------------------------------

HOSTILE = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>"


@pytest.fixture
def markup_experiment(stack, db):
    """A second, paused experiment whose title and description carry markup, written where the test
    stack reads its definitions (its own copy of prompts/, reloaded within a second or two). Variant
    names cannot carry markup: the service only accepts a-z, 0-9, '-' and '_'."""
    directory = Path(stack.env.get("COACHING_RUNTIME", "")) / "prompts" / "experiments"
    if not stack.env.get("COACHING_RUNTIME") or not directory.is_dir():
        pytest.skip("the stack has no private prompts directory to add an experiment to")
    key = "zz-markup-%s" % uuid.uuid4().hex[:8]
    path = directory / (key + ".json")
    path.write_text(json.dumps({
        "key": key, "title": "Title " + HOSTILE, "description": "Description " + HOSTILE,
        "control": CONTROL, "status": "paused", "allocation": "hash",
        "variants": [{"name": CONTROL, "weight": 50}, {"name": CHALLENGER, "weight": 50}],
    }), encoding="utf-8")
    try:
        yield key
    finally:
        path.unlink()
        db.execute("DELETE FROM coaching_experiments WHERE experiment_key = %s", (key,))
        time.sleep(1.2)  # the app looks at the directory at most once a second


def test_markup_in_a_real_definition_is_shown_as_text(open_page, api, admin, markup_experiment):
    key = markup_experiment
    wait_until(lambda: any(e["key"] == key for e in json_body(api.get(LIST, user=admin))["experiments"]),
               timeout=10, message="the new definition to be listed")
    page = open_page(admin, experiment=key)
    wait_ready(page)
    assert page.locator("#exp-key").inner_text().strip() == key
    assert page.locator("#exp-title").inner_text() == "Title " + HOSTILE
    assert page.locator("#exp-description").inner_text() == "Description " + HOSTILE
    assert page.locator('#experiment-select option[value="%s"]' % key).inner_text().startswith("Title " + HOSTILE)
    assert page.locator("#experiment-detail img, #experiment-detail script").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    assert page.errors == []


def hostile_api():
    """Experiment definitions live in files under prompts/experiments/, not behind an API, so a variant
    named with markup cannot be made through the real interface. The real page (served by the real
    nginx) is fed such answers by the browser instead, in the exact JSON shape of the contract."""
    variant_a = "ctl" + HOSTILE
    variant_b = "<b>bold</b>"

    def variant(name, is_control, rate, low, high):
        return {
            "name": name, "weight": 50, "is_control": is_control, "template_hash": "abc123",
            "agents": 12, "hints": 1234, "view_rate": 0.9, "feedback_rate": 0.5,
            "helpful": {"helpful": 87, "rated": 140, "rate": rate, "ci_low": low, "ci_high": high, "design_effect": 1.3},
            "suggestion_use_rate": 0.25, "no_hint_rate": None, "invalid_output_rate": 0.0,
            "cost_per_hint": 0.0012, "latency_ms": {"p50": 820.4, "p95": 1540},
            "prob_best": 0.7 if not is_control else 0.3, "prob_beats_control": None if is_control else 0.7,
            "outcomes": {"conversations": 40, "with_outcome": 20, "won": 9, "lost": 5, "resolved": 4, "abandoned": 2,
                         "conversion_rate": 0.45, "value_per_conversation": 123.5},
            "by_type": [{"hint_type": "objection", "hints": 10, "rated": 6, "helpful": 4, "helpful_rate": 4 / 6},
                        {"hint_type": HOSTILE, "hints": 1, "rated": 0, "helpful": 0, "helpful_rate": None}],
        }

    item = {"key": "xss" + HOSTILE, "title": "T" + HOSTILE, "status": "running", "control": variant_a,
            "winner": None, "started_at": "2026-11-20 10:00:00",
            "variants": [{"name": variant_a, "weight": 50, "agents": 12, "hints": 1234},
                         {"name": variant_b, "weight": 50, "agents": 12, "hints": 1234}]}
    body = {
        "success": True,
        "experiment": {"key": item["key"], "title": item["title"], "description": "D" + HOSTILE,
                       "status": "running", "control": variant_a, "winner": None,
                       "started_at": "2026-11-20 10:00:00", "concluded_at": None, "allocation": "hash"},
        "variants": [variant(variant_b, False, 0.6214, 0.55, 0.69), variant(variant_a, True, 0.5, 0.41, 0.59)],
        "srm": {"statistic": 14.2, "p_value": 0.00021, "mismatch": True},
        "verdict": {"winner": None, "reasons": ["variant " + HOSTILE + " has 42 rated hints; 100 needed"]},
        "series": [
            {"day": "2026-11-20", "variant": variant_a, "rated": 10, "helpful": 5, "rate": 0.5, "ci_low": 0.2, "ci_high": 0.8},
            {"day": "2026-11-21", "variant": variant_a, "rated": 10, "helpful": 6, "rate": 0.6, "ci_low": 0.3, "ci_high": 0.85},
            {"day": "2026-11-20", "variant": variant_b, "rated": 10, "helpful": 7, "rate": 0.7, "ci_low": 0.4, "ci_high": 0.9},
        ],
    }

    def handle(route):
        path = route.request.url.split("?", 1)[0]
        payload = {"success": True, "experiments": [item]} if path.endswith(LIST) else body
        route.fulfill(status=200, content_type="application/json; charset=utf-8", body=json.dumps(payload))

    return handle, variant_a, variant_b


@pytest.mark.parametrize("locale,helpful_text,cost_text", [
    ("en-US", "62.1 % (55.0\u201369.0)", "$0.0012"),
    ("pt-BR", "62,1 % (55,0\u201369,0)", "US$ 0,0012"),
])
def test_markup_in_experiment_data_is_shown_as_text(open_page, stack, locale, helpful_text, cost_text):
    handle, variant_a, variant_b = hostile_api()
    page = open_page(None, locale=locale, experiment=None, fake_api=handle)
    wait_ready(page)
    assert page.locator("#exp-title").inner_text() == "T" + HOSTILE
    assert page.locator("#exp-key").inner_text() == "xss" + HOSTILE
    heads = page.eval_on_selector_all("#variants-table thead th[data-variant]", "els => els.map(e => e.dataset.variant)")
    assert heads == [variant_a, variant_b]  # control first even when the API lists it second
    head_text = page.locator("#variants-table thead th[data-testid=variant-column]").first.inner_text()
    assert "ctl" + HOSTILE in head_text
    assert page.locator("#experiment-detail img, #experiment-detail script, #experiment-detail b").count() == 0
    assert page.locator("#experiment-select option").first.inner_text().startswith("T" + HOSTILE)
    assert HOSTILE in page.locator('[data-testid="verdict-reason"]').inner_text()
    assert page.locator('#by-type-table tr[data-hint-type="%s"]' % css_string(HOSTILE)).count() == 1

    # formatting and nulls
    assert shown(page, variant_b, "helpful_rate") == helpful_text
    assert shown(page, variant_b, "cost_per_hint") == cost_text
    assert shown(page, variant_b, "no_hint_rate") == DASH
    assert shown(page, variant_a, "prob_beats_control") == DASH
    assert shown(page, variant_b, "hints") == ("1,234" if locale == "en-US" else "1.234")
    assert cell(page, variant_b, "helpful_rate").get_attribute("data-value") == "0.6214"
    srm = page.locator("#srm-warning")
    assert srm.is_visible() and srm.get_attribute("data-p-value") == "0.00021"
    assert "0.00021" in srm.inner_text() or "0,00021" in srm.inner_text()
    chart = page.evaluate("() => { const c = window.Chart.getChart(document.getElementById('helpful-chart'));"
                          " return {labels: c.data.labels.length, datasets: c.data.datasets.length}; }")
    assert chart == {"labels": 2, "datasets": 6}

    assert page.evaluate("window.__pwned === undefined")
    assert page.errors == []
    if locale == "en-US":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "admin-experiments-srm.png"), full_page=True)
