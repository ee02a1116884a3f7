"""Push across hosts (issue 13): with nchan's channels in Redis (`scripts/stack.sh redis-up`), a hint
analysed and published by the second host (its own app, its own nginx and nchan publisher) reaches
the agent subscribed on the first host's nginx, exactly once; after Redis restarts, push resumes on
a new subscription and polling returns every hint published meanwhile."""

import time

import pytest
import requests

from conftest import json_body, stack_script, wait_until
from resilience import record
from test_pipeline import OBJECTION, fake_llm, pipeline  # noqa: F401 (fixtures)
from test_push import Stream
from test_scale_out import customer_message, only, peer, post_through, worker_id_of  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def shared_channels(stack, peer):
    """Both nginx keep their channels in one Redis; back in their own memory afterwards."""
    stack_script(stack, "redis-up")
    try:
        yield
    finally:
        stack_script(stack, "redis-down")


def pending_hint_ids(base_url, agent, conversation):
    resp = requests.get(base_url + "/api/coaching/hints/pending", timeout=10,
                        params={"conversation_id": conversation},
                        headers={"Authorization": "Bearer " + agent.token})
    return {hint["id"] for hint in json_body(resp)["hints"]}


def test_a_hint_published_by_one_host_reaches_the_agent_on_the_other(pipeline, factory, stack, peer,
                                                                      shared_channels):
    pipeline.configure("local")
    agent = factory.agent()
    conversation, message = customer_message(factory, agent, OBJECTION)
    stream = Stream(stack.base_url, token=agent.token)
    try:
        assert stream.response.status_code == 200
        time.sleep(0.3)
        with only(stack):
            posted = time.monotonic()
            post_through(peer, pipeline, conversation, message)
            event = stream.next(timeout=15)
            received = time.monotonic() - posted
        hint = pipeline.hints_for(message)[0]
        assert event["event"] == "coaching_hint" and event["data"]["id"] == hint["id"]
        assert pipeline.rows(message)[0]["locked_by"] == worker_id_of(peer), "the second host analysed and published it"
        assert stream.nothing_within(1.5), "delivered once"
        record("push_across_hosts", {"seconds_from_post_to_event": round(received, 3),
                                     "queue_processing_delay": 0.2})
    finally:
        stream.close()


def test_after_redis_restarts_push_resumes_and_polling_has_every_hint(pipeline, factory, stack, peer,
                                                                      shared_channels):
    pipeline.configure("local")
    agent = factory.agent()
    before = Stream(stack.base_url, token=agent.token)
    sent = []
    try:
        assert before.response.status_code == 200
        stack_script(stack, "restart-redis")
        # Hints published while nchan reconnects to Redis: push may miss them, polling must not.
        with only(stack):
            for _ in range(5):
                conversation, message = customer_message(factory, agent, OBJECTION)
                post_through(peer, pipeline, conversation, message)
                sent.append((conversation, message))
            wait_until(lambda: all(pipeline.hints_for(m) for _, m in sent), timeout=30, message="five hints saved")
    finally:
        before.close()
    expected = {pipeline.hints_for(m)[0]["id"] for _, m in sent}
    polled = set()
    for conversation, _ in sent:
        polled |= pending_hint_ids(stack.base_url, agent, conversation)
    assert expected <= polled, "polling on the first host returns every hint the second host saved"

    # A client that reconnects (as EventSource does) gets push again through Redis.
    def pushed_after_restart():
        stream = Stream(stack.base_url, token=agent.token)
        try:
            time.sleep(0.3)
            conversation, message = customer_message(factory, agent, OBJECTION)
            with only(stack):
                post_through(peer, pipeline, conversation, message)
                try:
                    return stream.next(timeout=5)["data"]["message_id"] == message
                except Exception:
                    return False
        finally:
            stream.close()

    started = time.monotonic()
    wait_until(pushed_after_restart, timeout=60, interval=0.5, message="push through Redis again")
    record("push_across_hosts_redis_restart", {"hints_during_restart": len(sent), "polled": len(expected & polled),
                                               "seconds_until_push_again": round(time.monotonic() - started, 1)})
