"""Faults under load (SPEC §11): the app killed with SIGKILL while messages arrive and LLM calls are in
flight, MariaDB restarted under load, nginx reloaded under load, and LLM faults (hangs, slow drip,
429 storms with Retry-After, broken answers). Afterwards every stored customer message has exactly
one outcome, no message has two hints, no analysis was answered twice, and spend stayed within the
cap. Each test writes its figures to .runtime/resilience/<test>.json (RESILIENCE.md).
"""

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import requests

from conftest import stack_script, wait_until
from resilience import Traffic, audit, hour_usage, record, wait_for_outcomes
from test_pipeline import OBJECTION, fake_llm, pipeline, scene  # noqa: F401 (fixtures)


def conversations_for(factory, agents=20, each=5):
    return [factory.conversation(factory.agent().id) for _ in range(agents) for _ in range(each)]


def poller(factory):
    agent = factory.agent()
    return agent.token, factory.conversation(agent.id)


def fake_stats(fake):
    return requests.get(fake.base + "/_control/stats", timeout=5).json()


def app_pid(stack):
    return int((Path(stack.env["COACHING_RUNTIME"]) / "app.pid").read_text())


# --------------------------------------------------------------------------- process and server faults


def test_kill_9_while_messages_arrive_and_calls_are_in_flight_loses_and_duplicates_nothing(
        pipeline, factory, fake_llm, stack):
    cap = hour_usage(pipeline.db)[0] + 2.0
    pipeline.configure("openai", realtime={"model": "gpt-4", "cost_limit_per_hour": cap,
                                           "queue_processing_delay": 0.2}, budget_fallback="skip")
    fake_llm.scenario(latency_ms=1500, usage={"prompt_tokens": 500, "completion_tokens": 200})
    traffic = Traffic(stack.base_url, pipeline.service_token, conversations_for(factory, agents=20),
                      poller(factory)).start()
    try:
        wait_until(lambda: fake_stats(fake_llm).get("in_flight", 0) >= 4, timeout=30, message="calls in flight")
        in_flight_at_kill = fake_stats(fake_llm)["in_flight"]
        os.kill(app_pid(stack), signal.SIGKILL)
        time.sleep(1.0)  # the door is down: nginx answers 503 JSON meanwhile
        stack_script(stack, "restart-app")
        time.sleep(3.0)
    finally:
        traffic.stop()
    _, figures = traffic.settle(pipeline.db, llm_calls_in_flight_at_kill=in_flight_at_kill)
    used, _ = hour_usage(pipeline.db)
    figures.update(hour_cap_usd=round(cap, 6), hour_spent_plus_reserved_usd=round(used, 6))
    record("kill9_under_load", figures)
    assert used <= cap + 1e-9
    traffic.assert_answered(posts={202, 503}, polls={200, 503})
    assert traffic.statuses[503] >= 1 and traffic.statuses[202] >= 2, "the kill happened while traffic flowed"


def test_mariadb_restart_under_load_loses_and_duplicates_nothing(pipeline, factory, fake_llm, stack):
    pipeline.configure("openai", realtime={"queue_processing_delay": 0.2})
    fake_llm.scenario(latency_ms=300)
    traffic = Traffic(stack.base_url, pipeline.service_token, conversations_for(factory), poller(factory)).start()
    try:
        wait_until(lambda: len(traffic.accepted) >= 30, timeout=30, message="traffic to flow")
        stack_script(stack, "restart-db")
        wait_until(lambda: traffic.statuses[202] and len(traffic.accepted) >= 60, timeout=60,
                   message="intake to work again")
        time.sleep(2.0)
    finally:
        traffic.stop()
    _, figures = traffic.settle(pipeline.db)
    record("mariadb_restart_under_load", figures)
    traffic.assert_answered(posts={202, 503}, polls={200, 503})
    assert figures["outcomes"].get("hint", 0) >= 1


def test_nginx_reload_under_load_drops_no_request_and_push_still_works(pipeline, factory, fake_llm, stack):
    from test_push import Stream

    pipeline.configure("openai", realtime={"queue_processing_delay": 0.2})
    fake_llm.scenario(latency_ms=100)
    runtime = Path(stack.env["COACHING_RUNTIME"])
    traffic = Traffic(stack.base_url, pipeline.service_token, conversations_for(factory), poller(factory)).start()
    reloads = 0
    try:
        wait_until(lambda: len(traffic.accepted) >= 20, timeout=30, message="traffic to flow")
        for _ in range(3):
            subprocess.run(["nginx", "-c", str(runtime / "nginx.conf"), "-p", str(runtime), "-s", "reload"],
                           check=True, capture_output=True, timeout=30)
            reloads += 1
            time.sleep(1.0)
        time.sleep(1.0)
    finally:
        traffic.stop()
    messages, figures = traffic.settle(pipeline.db, nginx_reloads=reloads)
    record("nginx_reload_under_load", figures)
    traffic.assert_answered(posts={202}, polls={200})
    assert sorted(traffic.accepted) == sorted(messages), "every stored message was acknowledged"

    # The reloaded nginx still carries pushes from the app to a subscriber.
    agent, conversation, message = scene(factory)
    stream = Stream(stack.base_url, token=agent.token)
    try:
        assert stream.response.status_code == 200
        time.sleep(0.3)
        pipeline.listener_insert(message, conversation, agent.id)
        assert stream.next(timeout=20)["data"]["message_id"] == message
    finally:
        stream.close()


# --------------------------------------------------------------------------- LLM faults


def test_a_hung_call_does_not_hold_up_other_analyses(pipeline, factory, fake_llm):
    pipeline.configure("openai", total_timeout_ms=6000, max_attempts=2)
    fake_llm.queue([{"mode": "hang", "hang_seconds": 30}])
    hung_agent, hung_conversation, hung = scene(factory)
    pipeline.listener_insert(hung, hung_conversation, hung_agent.id)
    wait_until(lambda: fake_stats(fake_llm).get("in_flight", 0) >= 1, timeout=15, message="the hung call")
    others = [scene(factory) for _ in range(3)]
    for agent, conversation, message in others:
        pipeline.listener_insert(message, conversation, agent.id)
    assert [pipeline.outcome(m, timeout=10) for _, _, m in others] == ["hint"] * 3
    assert pipeline.rows(hung)[0]["outcome"] is None, "the hung call is still waiting for its timeout"
    assert pipeline.outcome(hung, timeout=40) == "hint", "retried after the timeout"
    assert len(pipeline.hints_for(hung)) == 1
    calls = pipeline.calls_for([pipeline.rows(hung)[0]["id"]])
    assert [c["outcome"] for c in calls] == ["error", "hint"]
    record("llm_hang", {"messages_in": 4, "outcomes": {"hint": 4}, "hung_call_ledger": [c["outcome"] for c in calls],
                        "others_answered_while_the_call_hung": 3})


def test_a_slow_drip_answer_is_cut_by_the_total_timeout(pipeline, factory, fake_llm):
    pipeline.configure("openai", total_timeout_ms=1500, max_attempts=2)
    fake_llm.scenario(mode="slow_drip", drip_ms=100)
    agent, conversation, message = scene(factory)
    pipeline.listener_insert(message, conversation, agent.id)
    row, calls = pipeline.failed_by_timeouts(message, attempts=2)
    record("llm_slow_drip", {"messages_in": 1, "outcomes": {"failed": 1}, "attempts": row["attempts"],
                             "last_error": row["last_error"], "llm_calls": len(calls)})


def test_a_429_storm_honours_retry_after_and_ends_in_one_outcome_per_message(pipeline, factory, fake_llm):
    pipeline.configure("openai", max_attempts=3, realtime={"queue_processing_delay": 0.2})
    storm = 24
    fake_llm.queue([{"status": 429, "retry_after": 1, "times": storm}])
    refs = ["ref%s" % uuid.uuid4().hex[:10] for _ in range(12)]
    scenes = [scene(factory, content=OBJECTION + " " + ref) for ref in refs]
    for agent, conversation, message in scenes:
        pipeline.listener_insert(message, conversation, agent.id)
    messages = [m for _, _, m in scenes]
    wait_for_outcomes(pipeline.db, messages, timeout=90)
    figures = audit(pipeline.db, messages)
    log = fake_llm.requests()
    by_message = {}
    for entry in log:
        text = json.dumps(entry.get("body"), ensure_ascii=False)
        for ref in refs:
            if ref in text:
                by_message.setdefault(ref, []).append(entry)
    early = []
    for entries in by_message.values():
        entries.sort(key=lambda e: e["received_at"])
        for before, after in zip(entries, entries[1:]):
            if before["status"] == 429 and after["received_at"] - before["received_at"] < 0.9:
                early.append((before["seq"], after["seq"], round(after["received_at"] - before["received_at"], 3)))
    rate_limited = sum(1 for e in log if e["status"] == 429)
    figures.update(llm_answers_429=rate_limited, retries_sooner_than_retry_after=len(early))
    record("llm_429_storm", figures)
    assert rate_limited == storm
    assert not early, "retries sooner than Retry-After: %s" % early
    hints = pipeline.db.query("SELECT model_used FROM realtime_coaching_hints WHERE message_id IN (%s)"
                              % ", ".join(["%s"] * len(messages)), tuple(messages))
    assert set(figures["outcomes"]) <= {"hint", "failed"}
    assert len(hints) == figures["outcomes"].get("hint", 0)


BROKEN = ["malformed_json", "non_json", "oversized", "wrong_schema", "empty_choices", "disconnect"]


def test_broken_llm_answers_mixed_with_good_ones_never_reach_an_agent(pipeline, factory, fake_llm):
    pipeline.configure("openai", max_attempts=1, realtime={"queue_processing_delay": 0.2})
    plan = []
    for n in range(36):
        mode = BROKEN[(n // 2) % len(BROKEN)] if n % 2 else "normal"
        plan.append({"mode": mode} if mode != "non_json" else {"mode": mode, "status": 502})
    plan += [{"status": 500}] * 4
    fake_llm.queue(plan)
    scenes = [scene(factory, content=OBJECTION + " pedido %d" % n) for n in range(len(plan))]
    for agent, conversation, message in scenes:
        pipeline.listener_insert(message, conversation, agent.id)
    messages = [m for _, _, m in scenes]
    wait_for_outcomes(pipeline.db, messages, timeout=120)
    figures = audit(pipeline.db, messages)
    hints = pipeline.db.query("SELECT hint_type, hint_text, suggestions FROM realtime_coaching_hints WHERE message_id IN (%s)"
                              % ", ".join(["%s"] * len(messages)), tuple(messages))
    ledger = pipeline.db.query(
        "SELECT c.outcome, COUNT(*) AS n FROM coaching_llm_calls c JOIN coaching_queue q ON q.id = c.queue_id"
        " WHERE q.message_id IN (%s) GROUP BY c.outcome" % ", ".join(["%s"] * len(messages)), tuple(messages))
    figures.update(llm_answers_planned={"normal": plan.count({"mode": "normal"}),
                                        "broken": len(plan) - plan.count({"mode": "normal"})},
                   ledger_outcomes={r["outcome"]: int(r["n"]) for r in ledger},
                   llm_answers_by_mode=fake_stats(fake_llm).get("by_mode"),
                   llm_answers_by_status=fake_stats(fake_llm).get("by_status"))
    record("llm_broken_answers", figures)
    for hint in hints:
        assert 1 <= len(hint["hint_text"]) <= 280
        assert hint["hint_type"] in ("objection", "opportunity", "question", "negative_sentiment", "buying_signal",
                                     "closing_opportunity", "escalation_needed")
        suggestions = json.loads(hint["suggestions"])
        assert isinstance(suggestions, list) and len(suggestions) <= 3
    # With one attempt each, only the normal answers can have become hints (the circuit may open on
    # the 5xx and send some messages to the local analyser, which also writes valid hints).
    # Transient faults (5xx, disconnects) are retried within the call; only unusable content fails.
    unusable = sum(1 for p in plan if p.get("mode") in ("malformed_json", "oversized", "wrong_schema", "empty_choices"))
    assert 1 <= figures["outcomes"].get("failed", 0) <= unusable
    assert figures["outcomes"].get("hint", 0) >= len(plan) - unusable
    assert figures["llm_calls_left_reserved"] == 0, "every call's reservation was settled"


def test_saving_llm_settings_while_calls_are_in_flight_leaves_no_worker_stuck(pipeline, factory, fake_llm, api):
    """A save that changes the LLM client (here its base URL, alternating between two names of the
    fake server) replaces the client while calls are in flight: the old client hands its calls back
    and the workers carry on. Saved 20 times under load; every message ends with one outcome."""
    pipeline.configure("openai", realtime={"queue_processing_delay": 0.2}, max_attempts=3)
    fake_llm.scenario(latency_ms=1000)
    admin = factory.user("admin")
    base = fake_llm.base + "/v1"
    bases = [base.replace("127.0.0.1", "localhost"), base]
    messages = []
    for _ in range(50):
        agent, conversation, message = scene(factory)
        pipeline.listener_insert(message, conversation, agent.id)
        messages.append(message)
    wait_until(lambda: fake_stats(fake_llm).get("in_flight", 0) >= 10, timeout=30, message="calls in flight")
    for save in range(20):
        resp = api.post("/coaching/admin/settings", user=admin, json={"service": {"base_url": bases[save % 2]}})
        assert resp.status_code == 200, resp.text
        for _ in range(2):
            agent, conversation, message = scene(factory)
            pipeline.listener_insert(message, conversation, agent.id)
            messages.append(message)
        time.sleep(0.25)
    outcomes = {}
    for message in messages:
        outcomes[message] = pipeline.outcome(message, timeout=60)
    assert all(isinstance(o, str) for o in outcomes.values()), "one queue row and one outcome per message"
    assert set(outcomes.values()) <= {"hint", "no_hint"}, outcomes
    for message in messages:
        assert len(pipeline.hints_for(message)) <= 1
    health = api.get("/coaching/health").json()
    assert health["workers"]["live"] >= 1
    record("llm_settings_saved_under_load", {"messages": len(messages), "saves": 20,
                                             "outcomes": {o: list(outcomes.values()).count(o) for o in set(outcomes.values())}})
