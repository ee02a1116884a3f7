"""GET /coaching/stats: shape, periods, and who may read whose numbers (SPEC §3)."""

import pytest

from conftest import assert_error, json_body

SUMMARY_KEYS = (
    "total_hints",
    "viewed",
    "helpful",
    "not_helpful",
    "suggestions_used",
    "total_tokens",
    "total_cost",
    "avg_cost_per_hint",
    "avg_latency_ms",
)

HOUR = 3600
DAY = 86400


@pytest.fixture
def stats_scene(factory, api):
    """One agent with hints spread over time, one suggestion used, feedback given."""
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    msg = factory.message(conv)
    h = {}
    h["a"] = factory.hint(conv, agent.id, msg, "objection", tokens_used=100, cost=0.001, age_seconds=60, viewed_ago=30, feedback="helpful")
    h["b"] = factory.hint(conv, agent.id, msg, "objection", tokens_used=200, cost=0.002, age_seconds=50, suggestions=["Um", "Dois"])
    h["c"] = factory.hint(conv, agent.id, msg, "question", tokens_used=50, cost=0.0005, age_seconds=40, feedback="not_helpful")
    h["f"] = factory.hint(conv, agent.id, msg, "question", tokens_used=10, cost=0.0001, age_seconds=2 * HOUR)
    h["d"] = factory.hint(conv, agent.id, msg, "opportunity", tokens_used=1000, cost=0.5, age_seconds=2 * DAY)
    h["e"] = factory.hint(conv, agent.id, msg, "opportunity", tokens_used=5, cost=0.00001, age_seconds=40 * DAY)
    used = json_body(api.post("/api/coaching/hints/%d/use-suggestion" % h["b"], user=agent, json={"suggestion_index": 1}))
    assert used["suggestion"] == "Dois"
    return agent, h


def check_summary(body, period, total, tokens, cost, viewed, helpful, not_helpful, used):
    assert body["success"] is True
    assert body["period"] == period
    summary = body["summary"]
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    assert not missing, "summary lacks %s" % missing
    for key in ("total_hints", "viewed", "helpful", "not_helpful", "suggestions_used", "total_tokens"):
        assert type(summary[key]) is int, (key, summary[key])
    for key in ("total_cost", "avg_cost_per_hint"):
        assert type(summary[key]) in (int, float), (key, summary[key])
    assert summary["avg_latency_ms"] is None or type(summary["avg_latency_ms"]) in (int, float)
    assert summary["total_hints"] == total
    assert summary["total_tokens"] == tokens
    assert summary["total_cost"] == pytest.approx(cost, abs=1e-6)
    assert summary["avg_cost_per_hint"] == pytest.approx(cost / total if total else 0, abs=1e-6)
    assert summary["viewed"] == viewed
    assert summary["helpful"] == helpful
    assert summary["not_helpful"] == not_helpful
    assert summary["suggestions_used"] == used


def by_type(body):
    rows = body["by_type"]
    assert isinstance(rows, list)
    for row in rows:
        assert isinstance(row["hint_type"], str)
        assert type(row["total"]) is int
    return {row["hint_type"]: row["total"] for row in rows}


def test_own_stats_default_period_is_24h(api, stats_scene):
    agent, _h = stats_scene
    body = json_body(api.get("/coaching/stats", user=agent))
    check_summary(body, "24h", total=4, tokens=360, cost=0.0036, viewed=2, helpful=1, not_helpful=1, used=1)
    assert by_type(body) == {"objection": 2, "question": 2}


@pytest.mark.parametrize(
    "period,total,tokens,cost,types",
    [
        ("1h", 3, 350, 0.0035, {"objection": 2, "question": 1}),
        ("24h", 4, 360, 0.0036, {"objection": 2, "question": 2}),
        ("7d", 5, 1360, 0.5036, {"objection": 2, "question": 2, "opportunity": 1}),
        ("30d", 5, 1360, 0.5036, {"objection": 2, "question": 2, "opportunity": 1}),
    ],
)
def test_stats_periods(api, stats_scene, period, total, tokens, cost, types):
    agent, _h = stats_scene
    body = json_body(api.get("/coaching/stats", user=agent, params={"period": period}))
    check_summary(body, period, total, tokens, cost, viewed=2, helpful=1, not_helpful=1, used=1)
    assert by_type(body) == types


def test_stats_of_an_agent_without_hints(api, factory):
    agent = factory.agent()
    body = json_body(api.get("/coaching/stats", user=agent))
    assert body["success"] is True
    summary = body["summary"]
    assert summary["total_hints"] == 0
    assert summary["total_cost"] == 0
    assert summary["avg_cost_per_hint"] in (0, None)
    assert body["by_type"] == []


@pytest.mark.parametrize("period", ["2h", "1d", "24H", "week", "-1", "24h;DROP"])
def test_stats_unknown_period_is_400(api, factory, period):
    agent = factory.agent()
    assert_error(api.get("/coaching/stats", user=agent, params={"period": period}), 400, "bad_request")


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisor_reads_another_agents_stats(api, factory, stats_scene, role):
    agent, _h = stats_scene
    boss = factory.user(role)
    body = json_body(api.get("/coaching/stats", user=boss, params={"agent_id": agent.id}))
    check_summary(body, "24h", total=4, tokens=360, cost=0.0036, viewed=2, helpful=1, not_helpful=1, used=1)
    body = json_body(api.get("/coaching/stats", user=boss, params={"agent_id": agent.id, "period": "7d"}))
    assert body["summary"]["total_hints"] == 5


def test_agent_reading_another_agents_stats_is_403(api, factory, stats_scene):
    agent, _h = stats_scene
    other = factory.agent()
    resp = api.get("/coaching/stats", user=other, params={"agent_id": agent.id})
    body = assert_error(resp, 403, "forbidden")
    assert "total_hints" not in resp.text
    assert body["success"] is False


def test_agent_reads_own_stats_with_explicit_agent_id(api, stats_scene):
    agent, _h = stats_scene
    body = json_body(api.get("/coaching/stats", user=agent, params={"agent_id": agent.id}))
    assert body["summary"]["total_hints"] == 4


def test_agent_stats_ignore_other_agents_hints(api, factory, stats_scene):
    agent, _h = stats_scene
    other = factory.agent()
    conv = factory.conversation(other.id)
    factory.hint(conv, other.id, hint_type="objection", tokens_used=7, cost=0.3)
    body = json_body(api.get("/coaching/stats", user=other))
    assert body["summary"]["total_hints"] == 1
    assert body["summary"]["total_tokens"] == 7
    body = json_body(api.get("/coaching/stats", user=agent))
    assert body["summary"]["total_hints"] == 4


@pytest.mark.parametrize("agent_id", ["abc", "0", "-2", "1.5", "99999999999999999999"])
def test_stats_bad_agent_id_is_rejected(api, factory, agent_id):
    boss = factory.user("supervisor")
    assert_error(api.get("/coaching/stats", user=boss, params={"agent_id": agent_id}), (400, 404))
