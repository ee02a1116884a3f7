"""Invariants across processes: two `coaching` processes share one database; one is killed with
SIGKILL mid-run and restarted. Limits and budgets must hold across both, and every message must end
with exactly one outcome, at most one hint and at most one completed LLM call per analysis.
"""

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import stack_script, wait_until
from test_pipeline import BUYING, NEUTRAL, OBJECTION, Pipeline, fake_llm, pipeline, scene  # noqa: F401

FINAL_OUTCOMES = {
    "hint", "cached", "no_hint", "merged", "budget", "failed", "filtered:disabled", "filtered:not_client",
    "filtered:too_short", "filtered:unassigned", "filtered:agent_typing", "filtered:answered",
    "filtered:queue_full", "filtered:stale", "filtered:prefilter",
}


@pytest.fixture
def second_worker(stack):
    """A second process (worker only) against the same database, as another host would run it."""
    env = dict(os.environ)
    env["COACHING_ENV_FILE"] = str(Path(stack.env["COACHING_RUNTIME"]) / "coaching.env")
    env["COACHING_WORKER_ID"] = "second-%d" % os.getpid()
    log = open(Path(stack.env["COACHING_RUNTIME"]) / "second-worker.log", "ab")
    proc = subprocess.Popen([stack.env["COACHING_BIN"], "worker", "--threads", "2"], env=env, stdout=log, stderr=log)
    time.sleep(0.5)
    assert proc.poll() is None, "the second worker did not start"
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def calls_in_any_window(times, seconds=60):
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while (t - times[start]).total_seconds() >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_rate_limit_holds_across_two_processes(pipeline, factory, fake_llm, second_worker):
    limit = 6
    pipeline.configure("openai", realtime={"max_analyses_per_minute": limit})
    pipeline.db.execute("DELETE FROM coaching_rate_seconds")
    scenes = [scene(factory) for _ in range(20)]
    for agent, conversation, message in scenes:
        pipeline.listener_insert(message, conversation, agent.id)
    time.sleep(8)
    rows = [pipeline.rows(message)[0] for _, _, message in scenes]
    calls = pipeline.calls_for([r["id"] for r in rows])
    assert len(calls) == limit
    assert calls_in_any_window([c["created_at"] for c in calls]) <= limit
    waiting = [r for r in rows if r["outcome"] is None]
    assert len(waiting) == len(scenes) - limit, "the others are deferred, not dropped"
    assert all(r["status"] in ("pending", "processing") for r in waiting)


def test_budget_cap_holds_with_64_calls_in_flight_across_two_processes(pipeline, factory, fake_llm, second_worker):
    budget = 0.5
    cap = pipeline.hour_usage() + budget
    pipeline.configure("openai", realtime={"model": "gpt-4", "cost_limit_per_hour": cap}, budget_fallback="skip")
    fake_llm.scenario(latency_ms=1500, usage={"prompt_tokens": 500, "completion_tokens": 200})
    scenes = [scene(factory) for _ in range(64)]
    for agent, conversation, message in scenes:
        pipeline.listener_insert(message, conversation, agent.id)
    outcomes = [pipeline.outcome(message, timeout=60) for _, _, message in scenes]
    assert "budget" in outcomes and "hint" in outcomes
    assert pipeline.hour_usage() <= cap + 1e-9
    rows = [pipeline.rows(message)[0] for _, _, message in scenes]
    spent = sum(float(c["cost"]) for c in pipeline.calls_for([r["id"] for r in rows]))
    assert spent <= budget + 1e-9
    stats = fake_llm_stats(fake_llm)
    assert stats.get("max_in_flight", 0) >= 8, "calls really ran concurrently: %r" % stats


def fake_llm_stats(fake):
    import requests

    return requests.get(fake.base + "/_control/stats", timeout=5).json()


def test_invariants_hold_through_three_doors_two_processes_and_a_kill(pipeline, factory, fake_llm, stack, second_worker):
    rng = random.Random(20261125)
    pipeline.configure(
        "openai",
        watch_messages_table=True,
        realtime={"queue_processing_delay": 0.3, "max_queue_size": 1000000},
        max_message_age_seconds=3600,
    )
    fake_llm.scenario(latency_ms=20)
    time.sleep(1.5)  # the watcher starts at the current end of the messages table

    agents = [factory.agent() for _ in range(30)]
    conversations = [(factory.conversation(agent.id), agent) for agent in agents for _ in range(10)]
    texts = [OBJECTION, BUYING, NEUTRAL, "Oi", "Quero falar com o gerente agora, isso é um absurdo!",
             "Vocês têm desconto para pagamento à vista?", "Does the premium plan include phone support?",
             "This is taking forever and nobody answers me.", "ok obrigado", "Can we sign the contract today?"]
    total = 5000
    customer_messages = []
    runtime = Path(stack.env["COACHING_RUNTIME"])
    killed = False
    batch = []

    def flush_api():
        if not batch:
            return
        resp = pipeline.post(batch)
        assert resp.status_code == 202, resp.text
        for item, result in zip(batch, resp.json()["results"]):
            assert result["success"] is True, result
            if item["sender_type"] == "contact":
                customer_messages.append(result["message_id"])
        batch.clear()

    for n in range(total):
        conversation, agent = rng.choice(conversations)
        text = rng.choice(texts) + (" #%d" % n if rng.random() < 0.5 else "")
        sender = "agent" if rng.random() < 0.1 else "contact"
        door = rng.choice(["api", "listener", "watch"])
        if door == "api":
            batch.append({"conversation_id": conversation, "sender_type": sender, "content": text})
            if len(batch) >= 200:
                flush_api()
        else:
            message = factory.message(conversation, content=text, sender_type=sender, age_seconds=0)
            if sender == "contact":
                customer_messages.append(message)
                if door == "listener":
                    pipeline.listener_insert(message, conversation, agent.id)
        if not killed and n == total // 2:
            flush_api()
            os.kill(int((runtime / "app.pid").read_text()), signal.SIGKILL)
            killed = True
            stack_script(stack, "restart-app")
    flush_api()
    assert killed and len(customer_messages) > 3000

    marks = ", ".join(["%s"] * len(customer_messages))

    def all_done():
        pending = pipeline.db.scalar(
            "SELECT COUNT(*) FROM coaching_queue WHERE message_id IN (%s) AND outcome IS NULL" % marks,
            tuple(customer_messages),
        )
        queued = pipeline.db.scalar(
            "SELECT COUNT(DISTINCT message_id) FROM coaching_queue WHERE message_id IN (%s)" % marks,
            tuple(customer_messages),
        )
        return pending == 0 and queued == len(customer_messages)

    wait_until(all_done, timeout=240, interval=1, message="every message to reach its outcome")

    rows = pipeline.db.query(
        "SELECT id, message_id, outcome FROM coaching_queue WHERE message_id IN (%s)" % marks, tuple(customer_messages)
    )
    by_message = {}
    for row in rows:
        by_message.setdefault(row["message_id"], []).append(row)
    for message in customer_messages:
        finals = [r for r in by_message[message] if r["outcome"] != "duplicate"]
        assert len(finals) == 1, "message %s has outcomes %r" % (message, by_message[message])
        assert finals[0]["outcome"] in FINAL_OUTCOMES
    outcomes = {r["outcome"] for r in rows}
    assert {"hint", "merged"} <= outcomes

    doubled = pipeline.db.query(
        "SELECT message_id, COUNT(*) AS n FROM realtime_coaching_hints WHERE message_id IN (%s)"
        " GROUP BY message_id HAVING n > 1" % marks,
        tuple(customer_messages),
    )
    assert doubled == []

    queue_ids = [r["id"] for r in rows]
    qmarks = ", ".join(["%s"] * len(queue_ids))
    repeated = pipeline.db.query(
        "SELECT queue_id, COUNT(*) AS n FROM coaching_llm_calls WHERE queue_id IN (%s) AND status = 'settled'"
        " AND outcome IN ('hint', 'no_hint') GROUP BY queue_id HAVING n > 1" % qmarks,
        tuple(queue_ids),
    )
    assert repeated == [], "an analysis was answered by the model twice"
    workers = pipeline.db.query(
        "SELECT DISTINCT locked_by FROM coaching_queue WHERE message_id IN (%s)" % marks, tuple(customer_messages)
    )
    assert len(workers) >= 2, "both processes took part"
