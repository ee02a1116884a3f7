"""The costs and stats admin page (/admin/costs/) in a real browser (Debian's chromium, driven by
Playwright) against the real stack: the numbers of the JSON endpoints, four Chart.js charts served
by nginx from Debian's libjs-chart.js, markup kept as text, and the not-allowed state (SPEC §7, §9)."""

import pytest

from conftest import SCREENSHOTS, json_body
from test_admin_costs import COSTS, STATS, cost_rows, queue_rows  # noqa: F401 (fixtures)

PAGE = "/admin/costs/"
READY = '#costs-main[data-state="ready"]'
HOSTILE = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def hostile_model(db):
    db.execute("INSERT INTO coaching_cost_daily (day, model, variant, calls, cost) VALUES (CURDATE(), %s, %s, 1, 0.0001)",
               (HOSTILE, HOSTILE))
    yield HOSTILE
    db.execute("DELETE FROM coaching_cost_daily WHERE model = %s", (HOSTILE,))


def test_admin_sees_costs_and_activity_with_charts(open_admin_page, api, admin, cost_rows, queue_rows, hostile_model):
    queue_rows("hint", 2)
    queue_rows("cached", 2)
    page = open_admin_page(PAGE, admin, height=1000)
    page.wait_for_selector(READY, timeout=15000)
    costs = json_body(api.get(COSTS + "?days=30", user=admin))
    stats = json_body(api.get(STATS + "?period=24h", user=admin))
    assert "token=" not in page.url

    # tiles: the endpoint's totals
    assert page.locator('[data-testid="total-calls"]').get_attribute("data-value") == str(costs["total"]["calls"])
    assert float(page.locator('[data-testid="total-cost"]').get_attribute("data-value")) == pytest.approx(costs["total"]["cost"])
    assert float(page.locator('[data-testid="cache-hit-rate"]').get_attribute("data-value")) == pytest.approx(stats["cache"]["hit_rate"])

    # tables: our model and variant with their sums
    model = cost_rows["model"]
    row = page.locator('#cost-by-model tr[data-model="%s"]' % model)
    assert row.locator('[data-col="calls"]').get_attribute("data-value") == "6"
    assert row.locator('[data-col="cost"]').inner_text() == "$0.0029"
    variant_row = page.locator('#cost-by-variant tr[data-variant="%s"]' % cost_rows["variant"])
    assert variant_row.locator('[data-col="calls"]').get_attribute("data-value") == "10"
    cached = page.locator('#outcomes-table tr[data-outcome="cached"] [data-col="messages"]')
    assert cached.get_attribute("data-value") == str({r["outcome"]: r["messages"] for r in stats["outcomes"]}["cached"])

    # four charts, drawn by Chart.js from the Debian package
    charts = page.evaluate("""() => Object.fromEntries(['cost-chart', 'minute-chart', 'types-chart', 'outcomes-chart']
        .map((id) => { const c = window.Chart.getChart(document.getElementById(id));
                       return [id, c ? {type: c.config.type, labels: c.data.labels.length,
                                        datasets: c.data.datasets.map((d) => d.label || '')} : null]; }))""")
    assert all(charts.values()), charts
    assert charts["cost-chart"]["type"] == "bar" and charts["cost-chart"]["labels"] == 30
    assert "%s · %s" % (model, cost_rows["variant"]) in charts["cost-chart"]["datasets"]
    assert charts["minute-chart"]["labels"] == 60
    assert charts["outcomes-chart"]["labels"] == len(stats["outcomes"])
    vendor = api.get("/vendor/chart.js/chart.min.js")
    assert vendor.status_code == 200 and "Chart.js v" in vendor.text[:200]

    # markup in a model name is text
    assert page.locator('#cost-by-model tr[data-model="%s"] th' % HOSTILE.replace('"', '\\"')).inner_text() == HOSTILE
    assert page.locator("#reports img").count() == 0
    assert page.evaluate("window.__pwned === undefined")

    # another window reloads both endpoints
    page.select_option('[data-testid="days-select"]', "7")
    page.wait_for_function("() => window.Chart.getChart(document.getElementById('cost-chart')).data.labels.length === 7")
    page.wait_for_selector(READY)
    assert page.errors == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.select_option('[data-testid="days-select"]', "30")
    page.wait_for_function("() => window.Chart.getChart(document.getElementById('cost-chart')).data.labels.length === 30")
    page.screenshot(path=str(SCREENSHOTS / "admin-costs.png"), full_page=True)


def test_an_agent_is_not_allowed(open_admin_page, factory):
    page = open_admin_page(PAGE, factory.agent(), locale="pt-BR")
    page.wait_for_selector('#costs-main[data-state="forbidden"]', timeout=15000)
    assert page.locator("#admin-alert").get_attribute("data-kind") == "forbidden"
    assert "administradores e supervisores" in page.locator("#admin-alert").inner_text()
    assert page.locator("#reports").is_hidden()
