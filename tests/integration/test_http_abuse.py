"""Hostile HTTP input through nginx (SPEC §3, §8, §11) beyond test_errors.py: huge headers, deep JSON
nesting, invalid UTF-8 outside the body, hostile ids in bodies, and the nchan publisher tried from
the public port with a subscriber listening. Each gets a clear 4xx (JSON where the app answers),
never a 5xx, and the service keeps answering.
"""

import json
import os
import re
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import assert_error, json_body, mint_token
from test_push import Stream


def raw_request(stack, request_bytes, timeout=15):
    """Sends bytes as they are (no client-side encoding or validation) and returns (status, body)."""
    parts = urlsplit(stack.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(request_bytes)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def assert_still_serving(api, agent):
    assert json_body(api.get("/coaching/health"))["success"] is True
    assert json_body(api.get("/api/coaching/settings", user=agent))["success"] is True


# --------------------------------------------------------------------------- headers


def test_a_header_beyond_nginx_buffers_is_refused_and_the_service_keeps_answering(api, factory):
    agent = factory.agent()
    resp = api.get("/api/coaching/settings", user=agent, headers={"Cookie": "coaching_token=" + "a" * 70000})
    assert_error(resp, 400, "bad_request")
    resp = api.get("/api/coaching/settings", user=agent, headers={"X-Filler-%d" % n: "b" * 1000 for n in range(80)})
    assert_error(resp, 400, "bad_request")
    assert_still_serving(api, agent)


def test_a_large_garbage_authorization_header_that_reaches_the_app_is_401(api, factory):
    agent = factory.agent()
    resp = api.get("/api/coaching/settings", headers={"Authorization": "Bearer " + "x." * 6000 + "y"})
    assert_error(resp, 401, "unauthorized")
    resp = api.get("/api/coaching/settings", headers={"Cookie": "coaching_token=" + "%" * 12000})
    assert_error(resp, 401, "unauthorized")
    assert_still_serving(api, agent)


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize("opener", ["[", '{"a":'], ids=["arrays", "objects"])
def test_json_nested_a_hundred_thousand_levels_deep_is_400(api, factory, opener):
    agent, _conv, _msg, hint = factory.scene()
    raw = opener * 100000
    resp = api.post_raw("/api/coaching/hints/%d/feedback" % hint, raw, "application/json", user=agent, timeout=30)
    body = assert_error(resp, 400, "bad_request")
    assert "nesting" in body["error"]
    assert factory.hint_row(hint)["feedback"] is None
    service = mint_token(factory.stack.secret, None, "service")
    resp = api.post_raw("/coaching/messages", raw, "application/json", user=service, timeout=30)
    assert_error(resp, 400, "bad_request")
    assert_still_serving(api, agent)


@pytest.mark.parametrize("hint_id", [-1, 0, "12abc", 2 ** 31, 2 ** 63, 1e309, "", None, [1], True])
def test_hostile_hint_ids_in_bodies_are_4xx_and_change_nothing(api, factory, hint_id):
    agent, _conv, _msg, hint = factory.scene()
    for path, body in (("/coaching/mark-viewed", {"hint_id": hint_id}),
                       ("/coaching/feedback", {"hint_id": hint_id, "helpful": True})):
        raw = json.dumps(body).replace("Infinity", "1e309")
        resp = api.post_raw(path, raw, "application/json", user=agent)
        assert_error(resp, (400, 404))
    row = factory.hint_row(hint)
    assert row["viewed_at"] is None and row["feedback"] is None


@pytest.mark.parametrize("conversation_id", [-5, 0, "abc", 2 ** 40, 1.5])
def test_hostile_conversation_ids_at_the_message_door_are_per_item_errors(api, factory, db, conversation_id):
    service = mint_token(factory.stack.secret, None, "service")
    before = db.scalar("SELECT COALESCE(MAX(id), 0) FROM messages")
    resp = api.post("/coaching/messages", user=service,
                    json=[{"conversation_id": conversation_id, "sender_type": "contact", "content": "Achei caro demais!"}])
    assert resp.status_code in (202, 400), resp.text
    body = resp.json()
    if resp.status_code == 202:
        assert [r["success"] for r in body["results"]] == [False]
    assert db.scalar("SELECT COALESCE(MAX(id), 0) FROM messages") == before


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("target", [
    "/coaching/pending-hints?conversation_id=%FF&seconds=10",
    "/coaching/pending-hints?conversation_id=1%00&seconds=10",
    "/coaching/pending-hints?conversation_id=\xff\xfe&seconds=10",
    "/api/coaching/hints/conversation/%FF%FE",
    "/api/coaching/hints/conversation/\xc3\x28",
    "/api/coaching/hints/conversation/1%00",
    "/coaching/stats?period=\xed\xa0\x80",
    "/coaching/stats?agent_id=-1",
], ids=["pct-ff", "pct-nul", "raw-ff", "path-pct-ff", "path-raw-c328", "path-nul", "surrogate", "negative-agent"])
def test_invalid_utf8_and_nul_in_urls_are_4xx_json_never_5xx(stack, factory, coaching_enabled, target):
    agent = factory.agent()
    head = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
            % (target, agent.token)).encode("latin-1")
    status, headers, body = raw_request(stack, head)
    assert 400 <= status < 500, (status, body[:300])
    if "application/json" in headers.lower():
        assert json.loads(body)["success"] is False


# --------------------------------------------------------------------------- the publisher


def test_the_publisher_cannot_be_reached_through_the_public_port_even_with_path_tricks(stack, factory):
    agent = factory.agent()
    stream = Stream(stack.base_url, token=agent.token)
    assert stream.response.status_code == 200
    channel = "agent-%d" % agent.id
    forged = json.dumps({"event": "coaching_hint", "data": {"id": 1, "hint_text": "forged"}})
    try:
        attempts = []
        for target, host in (("/publish/" + channel, "127.0.0.1"), ("//publish/" + channel, "127.0.0.1"),
                             ("/coaching/../publish/" + channel, "127.0.0.1"), ("/publish/%s/" % channel, "127.0.0.1"),
                             ("/%70ublish/" + channel, "127.0.0.1"), ("/publish/" + channel, "localhost"),
                             ("http://localhost/publish/" + channel, "localhost")):
            request = ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                       "Connection: close\r\n\r\n%s" % (target, host, len(forged), forged)).encode()
            status, _, _ = raw_request(stack, request)
            attempts.append((target, status))
        assert all(status in (400, 403, 404, 405) for _, status in attempts), attempts
        assert stream.nothing_within(2.0), "a message published from outside reached the agent"
    finally:
        stream.close()
    config = (Path(stack.env["COACHING_RUNTIME"]) / "nginx.conf").read_text()
    publisher = [block for block in config.split("server {") if "nchan_publisher" in block]
    assert publisher and all(re.findall(r"listen\s+(\S+);", block) and
                             all(l.startswith("unix:") for l in re.findall(r"listen\s+(\S+);", block))
                             for block in publisher), "the publisher listens on a unix socket only"


def test_another_local_user_cannot_reach_the_publisher_socket(stack):
    """The publisher's unix socket is for the app alone: a process of another user on the same host
    (here `nobody`) cannot connect to it, so it cannot push forged hints to an agent."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a probe as another user")
    path = Path(stack.env["COACHING_NCHAN_PUBLISH_SOCKET"])
    assert path.is_socket()
    probe = ("import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX)\n"
             "try:\n"
             "    s.connect(sys.argv[1])\n"
             "except PermissionError:\n"
             "    sys.exit(3)\n"
             "s.sendall(b'POST /publish/agent-1 HTTP/1.0\\r\\nContent-Length: 2\\r\\n\\r\\n{}')\n"
             "print(s.recv(100))\n")
    # The system interpreter: a virtualenv under /root is out of that user's reach.
    proc = subprocess.run(["/usr/bin/python3", "-c", probe, str(path)], capture_output=True, text=True, timeout=15,
                          cwd="/", preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
    assert proc.returncode == 3, "another user reached the publisher: %s %s" % (proc.stdout, proc.stderr)
