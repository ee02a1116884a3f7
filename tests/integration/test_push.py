"""Push delivery through nginx + nchan: an agent's EventSource stream carries its own hints only;
the channel comes from the authenticated identity; the publisher is not reachable from outside."""

import json
import queue
import socket
import threading
import time

import pytest
import requests

from conftest import mint_token
from test_pipeline import OBJECTION, fake_llm, pipeline, scene  # noqa: F401


class Stream:
    """A minimal EventSource client: collects `data:` payloads (with their `id:`) on a thread."""

    def __init__(self, base_url, token=None, cookie=None, last_event_id=None):
        headers = {"Accept": "text/event-stream"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        cookies = {"coaching_token": cookie} if cookie else None
        self.response = requests.get(base_url + "/coaching/events", headers=headers, cookies=cookies, stream=True,
                                     timeout=(5, 30))
        self.events = queue.Queue()
        self.last_id = None
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event_id, data = None, []
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if raw is None:
                    continue
                if raw == "":
                    if data:
                        self.events.put((event_id, json.loads("\n".join(data))))
                    event_id, data = None, []
                elif raw.startswith("id:"):
                    event_id = raw[3:].strip()
                elif raw.startswith("data:"):
                    data.append(raw[5:].lstrip())
        except Exception:
            pass

    def next(self, timeout=15):
        event_id, payload = self.events.get(timeout=timeout)
        self.last_id = event_id
        return payload

    def nothing_within(self, seconds):
        try:
            self.events.get(timeout=seconds)
            return False
        except queue.Empty:
            return True

    def close(self):
        # Shut the socket down first: a reader blocked in recv() would otherwise hold close() until
        # the read timeout.
        try:
            self.response.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        self.response.close()


def test_a_saved_hint_reaches_its_agent_by_push(pipeline, factory, stack):
    pipeline.configure("local")
    agent, conversation, message = scene(factory)
    stream = Stream(stack.base_url, token=agent.token)
    try:
        assert stream.response.status_code == 200
        assert stream.response.headers["Content-Type"].startswith("text/event-stream")
        time.sleep(0.3)
        pipeline.listener_insert(message, conversation, agent.id)
        event = stream.next()
        assert event["event"] == "coaching_hint"
        data = event["data"]
        hint = pipeline.hints_for(message)[0]
        assert data["id"] == hint["id"] and data["conversation_id"] == conversation and data["message_id"] == message
        assert data["hint_type"] == "objection" and data["label"] in ("Objeção", "Objection")
        assert isinstance(data["suggestions"], list) and data["suggestions"]
        assert data["hint_text"] == hint["hint_text"]
    finally:
        stream.close()


def test_cookie_authenticated_stream_works_like_the_browser(pipeline, factory, stack):
    pipeline.configure("local")
    agent, conversation, message = scene(factory)
    stream = Stream(stack.base_url, cookie=agent.token)
    try:
        assert stream.response.status_code == 200
        time.sleep(0.3)
        pipeline.listener_insert(message, conversation, agent.id)
        assert stream.next()["data"]["message_id"] == message
    finally:
        stream.close()


def test_another_agent_never_receives_the_hint_and_cannot_pick_the_channel(pipeline, factory, stack):
    pipeline.configure("local")
    agent_a, conversation, message = scene(factory)
    agent_b = factory.agent()
    stream_b = Stream(stack.base_url, token=agent_b.token)
    # Asking for A's channel by name changes nothing: the channel comes from the token.
    sneaky = requests.get(stack.base_url + "/coaching/events?channel_id=agent-%d" % agent_a.id,
                          headers={"Accept": "text/event-stream", "Authorization": "Bearer " + agent_b.token},
                          stream=True, timeout=(5, 30))
    stream_a = Stream(stack.base_url, token=agent_a.token)
    try:
        assert stream_b.response.status_code == 200
        time.sleep(0.3)
        pipeline.listener_insert(message, conversation, agent_a.id)
        assert stream_a.next()["data"]["message_id"] == message
        assert stream_b.nothing_within(2)
        sneaky_stream = Stream.__new__(Stream)
        sneaky_stream.response, sneaky_stream.events = sneaky, queue.Queue()
        threading.Thread(target=sneaky_stream._read, daemon=True).start()
        assert sneaky_stream.nothing_within(1)
    finally:
        stream_a.close()
        stream_b.close()
        sneaky_close = Stream.__new__(Stream)
        sneaky_close.response = sneaky
        sneaky_close.close()


def test_subscribing_needs_a_user_identity(stack):
    resp = requests.get(stack.base_url + "/coaching/events", headers={"Accept": "text/event-stream"}, timeout=5)
    assert resp.status_code == 401
    assert resp.json()["code"] == "unauthorized"
    forged = mint_token("not-the-secret-" * 4, 1, "agent")
    resp = requests.get(stack.base_url + "/coaching/events",
                        headers={"Accept": "text/event-stream", "Authorization": "Bearer " + forged}, timeout=5)
    assert resp.status_code == 401
    service = mint_token(stack.secret, None, "service")
    resp = requests.get(stack.base_url + "/coaching/events",
                        headers={"Accept": "text/event-stream", "Authorization": "Bearer " + service}, timeout=5)
    assert resp.status_code == 403


def test_the_publisher_and_the_auth_check_are_not_reachable_from_outside(stack, factory):
    agent = factory.agent()
    for path in ("/publish/agent-%d" % agent.id, "/coaching/events/auth", "/coaching/publish/agent-%d" % agent.id):
        resp = requests.post(stack.base_url + path, data=json.dumps({"event": "coaching_hint", "data": {"id": 1}}),
                             headers={"Content-Type": "application/json", "Authorization": "Bearer " + agent.token},
                             timeout=5)
        assert resp.status_code in (404, 405), (path, resp.status_code)
    resp = requests.get(stack.base_url + "/coaching/events/auth", headers={"Authorization": "Bearer " + agent.token},
                        timeout=5)
    assert resp.status_code == 404


def test_reconnecting_with_last_event_id_resumes_without_loss(pipeline, factory, stack):
    pipeline.configure("local")
    agent = factory.agent()
    conversations = [factory.conversation(agent.id) for _ in range(2)]
    messages = [factory.message(c, content=OBJECTION, age_seconds=0) for c in conversations]
    stream = Stream(stack.base_url, token=agent.token)
    time.sleep(0.3)
    pipeline.listener_insert(messages[0], conversations[0], agent.id)
    first = stream.next()
    last_id = stream.last_id
    stream.close()
    # While disconnected, another hint is published.
    pipeline.listener_insert(messages[1], conversations[1], agent.id)
    assert pipeline.outcome(messages[1]) == "hint"
    resumed = Stream(stack.base_url, token=agent.token, last_event_id=last_id)
    try:
        event = resumed.next()
        assert event["data"]["message_id"] == messages[1]
        assert event["data"]["id"] != first["data"]["id"]
    finally:
        resumed.close()
