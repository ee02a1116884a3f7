"""Scale-out (SPEC §1, issue 6): a second host — its own `coaching serve` on its own FastCGI socket
and its own nginx on another port (`scripts/stack.sh peer-up test`) — shares the stack's MariaDB.
Traffic enters through both nginx; the queue claims each message once, the rate limit and the cost
cap hold over both processes together, and a cache entry or an experiment assignment made by one
host is what the other uses. To make a given host do an analysis, the other app process is
stopped (SIGSTOP) for that moment and continued afterwards.
"""

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import Stack, json_body, parse_env_file, stack_script, wait_until
from resilience import Traffic, audit, hour_usage, record, wait_for_outcomes
from test_experiments import assignment, definition, expected_variant, prompts  # noqa: F401 (fixture)
from test_pipeline import OBJECTION, fake_llm, pipeline  # noqa: F401 (fixtures)
from test_pipeline_invariants import calls_in_any_window


@contextmanager
def peer_host(stack, env=None, index=1):
    """Another host on the stack's port + ``index`` while the block runs (peer 1 is the second host,
    peer 2 the third): on loopback, so it reaches the fake LLM, unless ``env`` names a network
    namespace for it (COACHING_PEER_NETNS, see stack.sh)."""
    port = urlsplit(stack.base_url).port + index
    env = dict({"COACHING_PEER_NETNS": ""}, **(env or {}), COACHING_PEER_PORT=str(port),
               COACHING_PEER_INDEX=str(index))
    stack_script(stack, "peer-up", env=env)
    try:
        directory = "peer" if index == 1 else "peer%d" % index
        host = Stack(parse_env_file(Path(stack.env["COACHING_RUNTIME"]) / directory / "stack.env"))
        wait_until(lambda: requests.get(host.base_url + "/coaching/health", timeout=5).status_code == 200,
                   timeout=20, message="the peer host to answer")
        yield host
    finally:
        stack_script(stack, "peer-down", env={"COACHING_PEER_INDEX": str(index)})


@pytest.fixture(scope="module")
def peer(stack):
    with peer_host(stack) as host:
        yield host


def pid_of(host):
    return int((Path(host.env["COACHING_RUNTIME"]) / "app.pid").read_text())


def worker_id_of(host):
    return parse_env_file(Path(host.env["COACHING_RUNTIME"]) / "coaching.env").get("COACHING_WORKER_ID")


@contextmanager
def only(host_to_stop):
    """The other host's app process is stopped while the block runs, so this one does the work."""
    pid = pid_of(host_to_stop)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def customer_message(factory, agent, content):
    conversation = factory.conversation(agent.id)
    return conversation, factory.message(conversation, content=content, age_seconds=0)


def post_through(host, pipeline, conversation, message):
    """The chat application hands an existing message to one host's HTTP door."""
    resp = requests.post(host.base_url + "/coaching/messages", timeout=10,
                         json={"message_id": message, "conversation_id": conversation, "sender_type": "contact",
                               "content": "ignored for existing messages"},
                         headers={"Authorization": "Bearer " + pipeline.service_token})
    assert resp.status_code == 202, resp.text


def alternate_hosts(pipeline, factory, hosts, count):
    """``count`` customer messages of as many agents, handed to the hosts' doors in turn."""
    messages = []
    for n in range(count):
        conversation, message = customer_message(factory, factory.agent(), OBJECTION)
        post_through(hosts[n % len(hosts)], pipeline, conversation, message)
        messages.append(message)
    return messages


def test_two_hosts_take_traffic_and_claim_every_message_exactly_once(pipeline, factory, fake_llm, stack, peer):
    pipeline.configure("openai", realtime={"queue_processing_delay": 0.2})
    fake_llm.scenario(latency_ms=200)
    conversations = [factory.conversation(factory.agent().id) for _ in range(60)]
    agent = factory.agent()
    poll = (agent.token, factory.conversation(agent.id))
    first = Traffic(stack.base_url, pipeline.service_token, conversations[:30], poll).start()
    second = Traffic(peer.base_url, pipeline.service_token, conversations[30:], poll)
    second.tag = first.tag
    second.start()
    try:
        wait_until(lambda: len(first.accepted) >= 100 and len(second.accepted) >= 100, timeout=60,
                   message="traffic through both nginx")
    finally:
        first.stop()
        second.stop()
    by_host = {"accepted_by_first_host": len(first.accepted), "accepted_by_second_host": len(second.accepted)}
    both = second
    both.include(first)
    messages, figures = both.settle(pipeline.db, **by_host)
    assert sorted(both.accepted) == sorted(messages)
    record("scale_out_queue", figures)
    assert worker_id_of(peer) in figures["workers"], "the second host analysed messages"
    assert any(not w.startswith("peer-") for w in figures["workers"]), "the first host analysed messages"
    both.assert_answered(posts={202}, polls={200})


def test_the_rate_limit_holds_over_both_hosts_together(pipeline, factory, fake_llm, stack, peer):
    limit = 6
    pipeline.configure("openai", realtime={"max_analyses_per_minute": limit})
    pipeline.db.execute("DELETE FROM coaching_rate_seconds")
    pending = alternate_hosts(pipeline, factory, (stack, peer), 20)
    time.sleep(8)
    rows = [pipeline.rows(m)[0] for m in pending]
    calls = pipeline.calls_for([r["id"] for r in rows])
    analysed_by = {r["locked_by"] for r in rows if r["outcome"]}
    record("scale_out_rate_limit", {"messages_in": len(pending), "max_analyses_per_minute": limit,
                                    "llm_calls_in_8_s": len(calls),
                                    "deferred_not_dropped": sum(1 for r in rows if r["outcome"] is None),
                                    "workers": sorted(w for w in analysed_by if w)})
    assert len(calls) == limit
    assert calls_in_any_window([c["created_at"] for c in calls]) <= limit
    assert sum(1 for r in rows if r["outcome"] is None) == len(pending) - limit


def test_the_cost_cap_holds_over_both_hosts_together(pipeline, factory, fake_llm, stack, peer):
    budget = 0.4
    cap = hour_usage(pipeline.db)[0] + budget
    pipeline.configure("openai", realtime={"model": "gpt-4", "cost_limit_per_hour": cap}, budget_fallback="skip")
    fake_llm.scenario(latency_ms=1000, usage={"prompt_tokens": 500, "completion_tokens": 200})
    messages = alternate_hosts(pipeline, factory, (stack, peer), 40)
    wait_for_outcomes(pipeline.db, messages, timeout=90)
    figures = audit(pipeline.db, messages)
    used, _ = hour_usage(pipeline.db)
    figures.update(hour_cap_usd=round(cap, 6), hour_spent_plus_reserved_usd=round(used, 6), budget_usd=budget)
    record("scale_out_cost_cap", figures)
    assert used <= cap + 1e-9
    assert figures["llm_cost_usd"] <= budget + 1e-9
    assert "budget" in figures["outcomes"] and "hint" in figures["outcomes"]
    assert len(figures["workers"]) == 2, "both hosts made calls against the one cap"


def test_a_cache_entry_and_an_assignment_made_on_one_host_are_used_by_the_other(
        pipeline, factory, fake_llm, stack, peer, prompts):
    import uuid

    # A model no other test caches answers for, and words no other message has: only this test's
    # first answer can serve the second.
    pipeline.configure("openai", realtime={"use_cache": True, "cache_similarity_threshold": 0.8, "model": "gpt-4o"})
    refs = " ".join("ref%s" % uuid.uuid4().hex[:6] for _ in range(4))
    text = "Achei muito caro o plano %s, o concorrente cobra bem menos pelo mesmo pacote" % refs
    agent = factory.agent()
    with only(peer):
        conversation, first = customer_message(factory, agent, text)
        post_through(stack, pipeline, conversation, first)
        assert pipeline.outcome(first) == "hint"
    with only(stack):
        conversation, second = customer_message(factory, agent, text + "!")
        post_through(peer, pipeline, conversation, second)
        assert pipeline.outcome(second, timeout=30) == "cached"
    first_row, second_row = pipeline.rows(first)[0], pipeline.rows(second)[0]
    first_hint, second_hint = pipeline.hints_for(first)[0], pipeline.hints_for(second)[0]
    variant = expected_variant(definition(prompts), agent.id)
    assignments = pipeline.db.scalar("SELECT COUNT(*) FROM coaching_experiment_assignments WHERE agent_id = %s",
                                     (agent.id,))
    model_calls = [r for r in fake_llm.requests() if refs in str(r.get("body"))]
    record("scale_out_cache_and_assignment", {
        "first_host": first_row["locked_by"], "second_host": second_row["locked_by"],
        "outcomes": [first_row["outcome"], second_row["outcome"]], "model_calls": len(model_calls),
        "variants": [first_hint["variant"], second_hint["variant"]], "assignment_rows": assignments})
    assert first_row["locked_by"] != second_row["locked_by"] and second_row["locked_by"] == worker_id_of(peer)
    assert len(model_calls) == 1 and float(second_hint["cost"]) == 0
    assert first_hint["variant"] == second_hint["variant"] == variant == assignment(pipeline.db, agent.id)
    assert assignments == 1

    # A new agent assigned by the second host keeps that variant on the first.
    other = factory.agent()
    with only(stack):
        conversation, third = customer_message(factory, other, OBJECTION + " ref" + uuid.uuid4().hex[:8])
        post_through(peer, pipeline, conversation, third)
        assert pipeline.outcome(third, timeout=30) in ("hint", "cached")
    with only(peer):
        conversation, fourth = customer_message(factory, other, OBJECTION + " ref" + uuid.uuid4().hex[:8])
        post_through(stack, pipeline, conversation, fourth)
        assert pipeline.outcome(fourth) in ("hint", "cached")
    assert (pipeline.hints_for(third)[0]["variant"] == pipeline.hints_for(fourth)[0]["variant"]
            == expected_variant(definition(prompts), other.id))
    assert json_body(requests.get(peer.base_url + "/coaching/health", timeout=5))["success"] is True
