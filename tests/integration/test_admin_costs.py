"""Costs and stats admin endpoints (SPEC §2.2, §3, §9): daily cost by model and variant from the
rollup, hints per type, outcomes, cache hit rate, analyses per minute and the queue — shapes, and
numbers checked against rows the test inserts and against the SQL the README gives operators."""

import re
import uuid
from decimal import Decimal

import pytest

from conftest import assert_error, json_body

COSTS = "/coaching/admin/costs"
STATS = "/coaching/admin/stats"
HINT_TYPES = "/coaching/admin/hint-types"


@pytest.fixture
def cost_rows(db):
    """Rollup rows under a model and variants no other test uses: today, yesterday and 40 days ago."""
    tag = uuid.uuid4().hex[:8]
    model, other, variant = "it-model-" + tag, "it-other-" + tag, "it-variant-" + tag
    plan = [
        (0, model, variant, 3, 300, 60, Decimal("0.001500")),
        (0, model, "default", 1, 100, 20, Decimal("0.000400")),
        (1, model, variant, 2, 200, 40, Decimal("0.001000")),
        (1, other, variant, 5, 500, 100, Decimal("0.010000")),
        (40, model, variant, 7, 700, 140, Decimal("0.007000")),
    ]
    for days_ago, m, v, calls, prompt, completion, cost in plan:
        db.execute(
            "INSERT INTO coaching_cost_daily (day, model, variant, calls, prompt_tokens, completion_tokens, cost)"
            " VALUES (CURDATE() - INTERVAL %s DAY, %s, %s, %s, %s, %s, %s)",
            (days_ago, m, v, calls, prompt, completion, cost))
    yield {"model": model, "other": other, "variant": variant, "plan": plan}
    db.execute("DELETE FROM coaching_cost_daily WHERE model IN (%s, %s)", (model, other))


@pytest.fixture
def queue_rows(db):
    """Finished queue rows with known outcomes, as the worker leaves them; removed afterwards."""
    ids = []

    def add(outcome, minutes_ago=5, status="completed"):
        ids.append(db.execute(
            "INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status, outcome, finished_at, processed_at)"
            " VALUES (%s, %s, %s, %s, %s, NOW(3) - INTERVAL %s MINUTE, NOW() - INTERVAL %s MINUTE)",
            (2100000000 - len(ids), 2100000000, 2100000000, status, outcome, minutes_ago, minutes_ago)))

    yield add
    if ids:
        db.execute("DELETE FROM coaching_queue WHERE id IN (%s)" % ", ".join(["%s"] * len(ids)), tuple(ids))


def test_only_admins_and_supervisors(api, factory, admin):
    agent = factory.agent()
    supervisor = factory.user("supervisor")
    for route in (COSTS, STATS, HINT_TYPES):
        assert_error(api.get(route), 401, "unauthorized")
        assert_error(api.get(route, user=agent), 403, "forbidden")
        assert_error(api.get(route, user=agent, cookie=True), 403, "forbidden")
        assert json_body(api.get(route, user=supervisor))["success"] is True
        assert json_body(api.get(route, user=admin))["success"] is True


def test_hint_types_name_every_type_in_both_languages(api, admin):
    body = json_body(api.get(HINT_TYPES, user=admin))
    assert [entry["type"] for entry in body["hint_types"]] == [
        "objection", "opportunity", "question", "negative_sentiment", "buying_signal", "closing_opportunity",
        "escalation_needed"]
    labels = {entry["type"]: entry["labels"] for entry in body["hint_types"]}
    assert labels["objection"] == {"pt": "Objeção", "en": "Objection"}
    assert labels["closing_opportunity"] == {"pt": "Momento de fechar", "en": "Time to close"}
    assert all(entry["labels"]["pt"] and entry["labels"]["en"] for entry in body["hint_types"])


def test_bad_parameters_name_the_field(api, admin):
    for query in ("days=0", "days=367", "days=abc", "days=-3"):
        assert assert_error(api.get(COSTS + "?" + query, user=admin), 400, "bad_request")["field"] == "days"
    for query in ("period=2h", "period="):
        assert assert_error(api.get(STATS + "?" + query, user=admin), 400, "bad_request")["field"] == "period"


def test_daily_costs_by_model_and_variant(api, db, admin, cost_rows):
    model, other, variant = cost_rows["model"], cost_rows["other"], cost_rows["variant"]
    body = json_body(api.get(COSTS, user=admin))
    assert body["days"] == 30
    assert body["from"] == db.scalar("SELECT DATE_FORMAT(CURDATE() - INTERVAL 29 DAY, '%Y-%m-%d')")
    assert body["to"] == db.scalar("SELECT DATE_FORMAT(CURDATE(), '%Y-%m-%d')")
    today, yesterday = body["to"], db.scalar("SELECT DATE_FORMAT(CURDATE() - INTERVAL 1 DAY, '%Y-%m-%d')")
    ours = [r for r in body["daily"] if r["model"] in (model, other)]
    assert ours == [
        {"day": yesterday, "model": model, "variant": variant, "calls": 2, "prompt_tokens": 200, "completion_tokens": 40, "cost": 0.001},
        {"day": yesterday, "model": other, "variant": variant, "calls": 5, "prompt_tokens": 500, "completion_tokens": 100, "cost": 0.01},
        {"day": today, "model": model, "variant": "default", "calls": 1, "prompt_tokens": 100, "completion_tokens": 20, "cost": 0.0004},
        {"day": today, "model": model, "variant": variant, "calls": 3, "prompt_tokens": 300, "completion_tokens": 60, "cost": 0.0015},
    ]  # ordered by day, model, variant
    by_model = {r["model"]: r for r in body["by_model"]}
    assert by_model[model] == {"model": model, "calls": 6, "prompt_tokens": 600, "completion_tokens": 120, "cost": 0.0029}
    assert by_model[other]["calls"] == 5
    by_variant = {r["variant"]: r for r in body["by_variant"]}
    assert by_variant[variant] == {"variant": variant, "calls": 10, "prompt_tokens": 1000, "completion_tokens": 200, "cost": 0.0125}
    # totals are the sum of the rows, and the same as the operator's SQL over the rollup
    assert body["total"]["calls"] == sum(r["calls"] for r in body["daily"])
    sql = db.one("SELECT SUM(calls) AS calls, SUM(cost) AS cost FROM coaching_cost_daily WHERE day >= CURDATE() - INTERVAL 29 DAY")
    assert body["total"]["calls"] == int(sql["calls"])
    assert body["total"]["cost"] == pytest.approx(float(sql["cost"]), abs=1e-6)
    costs = sorted(r["cost"] for r in body["by_model"])
    assert [r["cost"] for r in body["by_model"]] == costs[::-1], "by_model is most expensive first"

    # the 40-day-old row appears only with a longer window
    longer = json_body(api.get(COSTS + "?days=60", user=admin))
    assert {r["model"]: r for r in longer["by_model"]}[model]["calls"] == 13
    one_day = json_body(api.get(COSTS + "?days=1", user=admin))
    assert one_day["from"] == one_day["to"] == today
    assert {r["model"]: r["calls"] for r in one_day["by_model"]}[model] == 4


def readme_sql(name):
    """The operator SQL from the README, by the comment line above it."""
    from conftest import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"-- %s[^\n]*\n(.*?;)" % re.escape(name), text, re.S)
    assert match, "README lacks the SQL for %r" % name
    return match.group(1)


def outcome_counts(body):
    return {r["outcome"]: r["messages"] for r in body["outcomes"]}


def test_stats_count_what_the_pipeline_recorded(api, db, factory, admin, queue_rows):
    before = json_body(api.get(STATS + "?period=1h", user=admin))
    assert before["period"] == "1h"
    for outcome, minutes_ago in (("hint", 3), ("hint", 3), ("cached", 3), ("no_hint", 4), ("merged", 4),
                                 ("filtered:too_short", 4), ("failed", 4), ("hint", 90)):
        queue_rows(outcome, minutes_ago, status="failed" if outcome == "failed" else "completed")
    agent = factory.agent()
    conversation = factory.conversation(agent.id)
    for hint_type in ("objection", "objection", "buying_signal"):
        factory.hint(conversation, agent.id, hint_type=hint_type, age_seconds=30)
    after = json_body(api.get(STATS + "?period=1h", user=admin))

    # outcomes: the rows finished within the hour (the 90-minute-old one is outside)
    delta = {k: outcome_counts(after).get(k, 0) - outcome_counts(before).get(k, 0)
             for k in set(outcome_counts(after)) | set(outcome_counts(before))}
    assert {k: v for k, v in delta.items() if v} == {"hint": 2, "cached": 1, "no_hint": 1, "merged": 1,
                                                     "filtered:too_short": 1, "failed": 1}
    # cache hit rate: cached over analysed messages that could have been cached (hint, no_hint, cached)
    assert after["cache"]["hits"] - before["cache"]["hits"] == 1
    assert after["cache"]["lookups"] - before["cache"]["lookups"] == 4
    cache = after["cache"]
    assert cache["hit_rate"] == pytest.approx(cache["hits"] / cache["lookups"])

    # analyses per minute: 60 minutes, oldest first; merged and filtered messages are not analyses
    minutes = after["analyses_per_minute"]
    assert len(minutes) == 60
    assert all(re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", m["minute"]) for m in minutes)
    assert [m["minute"] for m in minutes] == sorted(m["minute"] for m in minutes)
    assert minutes[-1]["minute"] == db.scalar("SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i')")
    added = sum(m["analyses"] for m in minutes) - sum(m["analyses"] for m in before["analyses_per_minute"]
                                                      if m["minute"] >= minutes[0]["minute"])
    assert added == 5  # hint ×2, cached, no_hint, failed
    three_ago = db.scalar("SELECT DATE_FORMAT(NOW() - INTERVAL 3 MINUTE, '%Y-%m-%d %H:%i')")
    assert {m["minute"]: m["analyses"] for m in minutes}[three_ago] >= 3

    # hints per type: the hints of the period, all agents
    def types(body):
        return {r["hint_type"]: r["total"] for r in body["hints_by_type"]}
    assert types(after).get("objection", 0) - types(before).get("objection", 0) == 2
    assert types(after).get("buying_signal", 0) - types(before).get("buying_signal", 0) == 1
    for row in after["hints_by_type"]:
        assert set(row) == {"hint_type", "label", "total", "viewed", "helpful", "not_helpful", "suggestions_used", "total_cost"}
    assert set(after["queue"]) == {"pending", "processing"}


def test_stats_match_the_readme_sql(api, db, admin, queue_rows):
    """What the page shows is what an operator gets from the README's SQL."""
    queue_rows("hint", 2)
    queue_rows("cached", 2)
    body = json_body(api.get(STATS + "?period=1h", user=admin))
    sql_outcomes = {r["outcome"]: int(r["messages"]) for r in db.query(readme_sql("outcomes of the last hour"))}
    assert outcome_counts(body) == sql_outcomes
    sql_minutes = {r["minute"]: int(r["analyses"]) for r in db.query(readme_sql("analyses per minute over the last hour"))}
    assert {m["minute"]: m["analyses"] for m in body["analyses_per_minute"] if m["analyses"]} == sql_minutes
    rate = db.one(readme_sql("cache hit rate of the last hour"))
    assert body["cache"]["hits"] == int(rate["hits"]) and body["cache"]["lookups"] == int(rate["lookups"])
    assert body["cache"]["hit_rate"] == pytest.approx(float(rate["hit_rate"]), abs=1e-4)

    day = json_body(api.get(STATS, user=admin))
    assert day["period"] == "24h"
    sql_types = {r["hint_type"]: int(r["hints"]) for r in db.query(readme_sql("hints per type and rating in the last 24 h"))}
    assert {r["hint_type"]: r["total"] for r in day["hints_by_type"]} == sql_types

    costs = json_body(api.get(COSTS + "?days=30", user=admin))
    sql_daily = db.query(readme_sql("the true daily spend by model and variant of the last 30 days"))
    assert [(r["day"], r["model"], r["variant"], r["calls"]) for r in costs["daily"]] == \
        [(r["day"], r["model"], r["variant"], int(r["calls"])) for r in sql_daily]
