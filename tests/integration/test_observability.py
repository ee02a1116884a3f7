"""Observability through the real stack: /coaching/metrics (Prometheus text from the app, reached
through nginx from the host) and the degraded states of /coaching/health."""

import json
import re
import socket
from urllib.parse import urlparse

import requests

from conftest import mint_token, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)$')


def scrape(api) -> dict:
    """Every sample as {(name, frozenset(labels)): value}."""
    resp = api.get("/coaching/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for line in resp.text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, "not a Prometheus sample line: %r" % line
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_per_route_pattern(api, factory, coaching_enabled):
    agent = factory.agent()
    conversation = factory.conversation(agent.id)
    labels = dict(method="GET", route="/coaching/pending-hints", status="200")
    before = value(scrape(api), "coaching_http_requests_total", **labels)
    for _ in range(3):
        assert api.get("/coaching/pending-hints?conversation_id=%d" % conversation, user=agent).status_code == 200
    samples = scrape(api)
    assert value(samples, "coaching_http_requests_total", **labels) == before + 3
    # Latency is a histogram per route; its count covers every status of that route.
    assert value(samples, "coaching_http_request_duration_seconds_count",
                 method="GET", route="/coaching/pending-hints") >= 3


def test_metrics_label_ids_by_pattern_not_by_value(api, factory, coaching_enabled):
    agent = factory.agent()
    hint = factory.hint(factory.conversation(agent.id), agent.id)
    assert api.post("/api/coaching/hints/%d/view" % hint, user=agent).status_code == 200
    text = api.get("/coaching/metrics").text
    assert 'route="/api/coaching/hints/{id}/view"' in text
    assert "/api/coaching/hints/%d/view" % hint not in text


def test_metrics_count_message_outcomes(api, factory, db, stack, coaching_disabled):
    agent = factory.agent()
    conversation = factory.conversation(agent.id)
    before = value(scrape(api), "coaching_message_outcomes_total", outcome="filtered:disabled")
    service = mint_token(stack.secret, None, "service")
    resp = requests.post(stack.base_url + "/coaching/messages", timeout=10,
                         data=json.dumps({"conversation_id": conversation, "sender_type": "contact",
                                          "content": "Quanto custa o plano anual?"}),
                         headers={"Authorization": "Bearer " + service, "Content-Type": "application/json"})
    assert resp.status_code == 202, resp.text
    wait_until(lambda: db.scalar("SELECT COUNT(*) FROM coaching_queue WHERE conversation_id = %s "
                                 "AND outcome = 'filtered:disabled'", (conversation,)) == 1,
               message="the message's outcome")
    assert value(scrape(api), "coaching_message_outcomes_total", outcome="filtered:disabled") >= before + 1


def test_metrics_queue_depth_matches_the_database(api, db):
    def matches():
        depth = db.scalar("SELECT COUNT(*) FROM coaching_queue WHERE status IN ('pending', 'processing')")
        return value(scrape(api), "coaching_queue_depth") == depth
    wait_until(matches, timeout=10, message="coaching_queue_depth equal to the queue's pending rows")
    samples = scrape(api)
    assert value(samples, "coaching_database_up") == 1
    assert ("coaching_workers_live", frozenset()) in samples


def test_metrics_show_push_subscribers(api, factory, stack):
    agent = factory.agent()
    baseline = value(scrape(api), "coaching_push_subscribers")
    url = urlparse(stack.base_url)
    # A plain socket, so that closing it ends the subscription at once.
    subscriber = socket.create_connection((url.hostname, url.port), timeout=10)
    try:
        subscriber.sendall(("GET /coaching/events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n"
                            "Authorization: Bearer %s\r\n\r\n" % (url.netloc, agent.token)).encode())
        assert subscriber.recv(64).startswith(b"HTTP/1.1 200")
        wait_until(lambda: value(scrape(api), "coaching_push_subscribers") >= baseline + 1,
                   message="one more push subscriber")
    finally:
        subscriber.close()
    wait_until(lambda: value(scrape(api), "coaching_push_subscribers") <= baseline,
               message="the subscriber gone after the stream closed")


def test_health_is_degraded_when_the_daily_cost_cap_is_reached(api, coaching):
    coaching.enable(cost_limit_per_day=0)

    def degraded():
        body = api.get("/coaching/health").json()
        return body["status"] == "degraded" and "daily_cost_cap_reached" in body["reasons"]
    wait_until(degraded, timeout=6, message="health degraded by the daily cost cap")
    body = api.get("/coaching/health").json()
    assert body["success"] is True
    assert body["budget"]["day_cap"] == 0
    # Above whatever this database has spent today (the test stack's data outlives one run).
    coaching.enable(cost_limit_per_day=body["budget"]["day_spent"] + 10)
    wait_until(lambda: "daily_cost_cap_reached" not in api.get("/coaching/health").json()["reasons"],
               timeout=6, message="the reason gone once the cap is raised")
