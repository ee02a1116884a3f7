"""Authentication (HS256 JWT as bearer or cookie) and the CSRF defence (SPEC §7.1, §8)."""

import json

import pytest

from conftest import (
    assert_error,
    b64url,
    encode_segment,
    json_body,
    mint_token,
)

# Every agent and legacy route with a body that would be valid for it.
AUTHENTICATED_ROUTES = [
    ("GET", "/api/coaching/settings", None),
    ("GET", "/api/coaching/hints/pending", None),
    ("GET", "/api/coaching/hints/pending?conversation_id=1&seconds=30", None),
    ("GET", "/api/coaching/hints/conversation/1", None),
    ("POST", "/api/coaching/hints/1/view", {}),
    ("POST", "/api/coaching/hints/1/feedback", {"feedback": "helpful"}),
    ("POST", "/api/coaching/hints/1/use-suggestion", {"suggestion_index": 0}),
    ("POST", "/api/coaching/typing", {"conversation_id": 1, "is_typing": True}),
    ("GET", "/coaching/pending-hints?conversation_id=1&seconds=10", None),
    ("GET", "/coaching/stats", None),
    ("GET", "/coaching/stats?period=7d", None),
    ("POST", "/coaching/mark-viewed", {"hint_id": 1}),
    ("POST", "/coaching/feedback", {"hint_id": 1, "helpful": True}),
]

ROUTE_IDS = ["%s %s" % (m, p) for m, p, _ in AUTHENTICATED_ROUTES]

EVIL_ORIGIN = "http://evil.example"


def _send(api, method, path, body, **kwargs):
    if method == "GET":
        return api.get(path, **kwargs)
    return api.post(path, json=body, **kwargs)


# ---------------------------------------------------------------------------
# health and tokens
# ---------------------------------------------------------------------------


def test_health_needs_no_token(api):
    body = json_body(api.get("/coaching/health"))
    assert body["success"] is True
    assert body["status"] in ("ok", "degraded")  # degraded names its reasons, e.g. a cost cap reached
    assert body["database"] == "ok"


@pytest.mark.parametrize("method,path,body", AUTHENTICATED_ROUTES, ids=ROUTE_IDS)
def test_missing_token_is_401(api, method, path, body):
    assert_error(_send(api, method, path, body), 401, "unauthorized")


@pytest.mark.parametrize("method,path,body", AUTHENTICATED_ROUTES, ids=ROUTE_IDS)
def test_expired_token_is_401(api, factory, stack, method, path, body):
    agent = factory.agent()
    token = mint_token(stack.secret, agent.id, "agent", ttl=-3600)
    assert_error(_send(api, method, path, body, user=token), 401, "unauthorized")


def test_expired_token_in_cookie_is_401(api, factory, stack):
    agent = factory.agent()
    token = mint_token(stack.secret, agent.id, "agent", ttl=-3600)
    assert_error(api.get("/api/coaching/settings", user=token, cookie=True), 401, "unauthorized")


@pytest.mark.parametrize("method,path,body", AUTHENTICATED_ROUTES, ids=ROUTE_IDS)
def test_token_signed_with_wrong_secret_is_401(api, factory, stack, method, path, body):
    agent = factory.agent()
    token = mint_token(stack.secret + "-not-the-secret", agent.id, "agent")
    assert_error(_send(api, method, path, body, user=token), 401, "unauthorized")


def test_forged_cookie_token_is_401(api, factory, stack):
    agent = factory.agent()
    token = mint_token("another-secret", agent.id, "admin")
    assert_error(api.get("/coaching/stats", user=token, cookie=True), 401, "unauthorized")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_token_is_401(api, factory, stack, alg):
    agent = factory.agent()
    token = mint_token(stack.secret, agent.id, "admin", alg=alg)
    assert token.endswith(".")
    assert_error(api.get("/api/coaching/settings", user=token), 401, "unauthorized")
    assert_error(api.get("/api/coaching/settings", user=token, cookie=True), 401, "unauthorized")
    # the same with a signature part that is not empty
    assert_error(api.get("/api/coaching/settings", user=token + "c2lnbmF0dXJl"), 401, "unauthorized")


def test_tampered_payload_is_401(api, factory, stack):
    agent = factory.agent()
    other = factory.agent()
    header, _payload, signature = agent.token.split(".")
    for claims in (
        {"sub": str(agent.id), "role": "admin", "exp": 4102444800},
        {"sub": str(other.id), "role": "agent", "exp": 4102444800},
    ):
        forged = header + "." + encode_segment(claims) + "." + signature
        assert_error(api.get("/coaching/stats", user=forged), 401, "unauthorized")


def test_hs256_token_with_truncated_signature_is_401(api, factory):
    agent = factory.agent()
    assert_error(api.get("/api/coaching/settings", user=agent.token[:-4]), 401, "unauthorized")


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "a.b.c",
        "..",
        b64url(b'{"alg":"HS256"}') + ".!!!." + "x",
        b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(b"not json") + ".sig",
    ],
    ids=["word", "three-letters", "dots", "bad-base64", "payload-not-json"],
)
def test_garbage_token_is_401(api, token):
    assert_error(api.get("/api/coaching/settings", user=token), 401, "unauthorized")
    assert_error(api.get("/api/coaching/settings", user=token, cookie=True), 401, "unauthorized")


def test_authorization_header_without_bearer_scheme_is_401(api, factory):
    agent = factory.agent()
    resp = api.get("/api/coaching/settings", headers={"Authorization": "Basic " + agent.token})
    assert_error(resp, 401, "unauthorized")


def test_bearer_token_authenticates(api, factory):
    agent = factory.agent()
    body = json_body(api.get("/api/coaching/settings", user=agent))
    assert body["success"] is True


def test_cookie_token_authenticates(api, factory):
    agent = factory.agent()
    body = json_body(api.get("/api/coaching/settings", user=agent, cookie=True))
    assert body["success"] is True


def test_identity_comes_from_the_token(api, factory, coaching_enabled):
    """The same request shows the hints of whoever the token names."""
    a = factory.agent()
    b = factory.agent()
    conv = factory.conversation(a.id)
    hint = factory.hint(conv, a.id)
    path = "/api/coaching/hints/conversation/%d" % conv
    assert [h["id"] for h in json_body(api.get(path, user=a))["hints"]] == [hint]
    resp = api.get(path, user=b)
    if resp.status_code == 200:
        assert hint not in [h["id"] for h in resp.json()["hints"]]
    else:
        assert_error(resp, (403, 404))


# ---------------------------------------------------------------------------
# CSRF (cookie-authenticated POSTs)
# ---------------------------------------------------------------------------


def _viewed(factory, hint_id):
    return factory.hint_row(hint_id)["viewed_at"] is not None


def test_cookie_post_json_same_origin_is_allowed(api, factory, stack):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post(
        "/api/coaching/hints/%d/view" % hint,
        user=agent,
        cookie=True,
        json={},
        headers={"Origin": stack.base_url},
    )
    assert json_body(resp)["success"] is True
    assert _viewed(factory, hint)


def test_cookie_post_json_without_origin_is_allowed(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post("/api/coaching/hints/%d/view" % hint, user=agent, cookie=True, json={})
    assert json_body(resp)["success"] is True
    assert _viewed(factory, hint)


@pytest.mark.parametrize(
    "path_template,body",
    [
        ("/api/coaching/hints/{hint}/view", {}),
        ("/api/coaching/hints/{hint}/feedback", {"feedback": "helpful"}),
        ("/api/coaching/hints/{hint}/use-suggestion", {"suggestion_index": 0}),
        ("/coaching/mark-viewed", {"hint_id": "{hint}"}),
        ("/coaching/feedback", {"hint_id": "{hint}", "helpful": True}),
        ("/api/coaching/typing", {"conversation_id": "{conv}", "is_typing": True}),
    ],
    ids=["view", "feedback", "use-suggestion", "mark-viewed", "legacy-feedback", "typing"],
)
def test_cookie_post_cross_origin_is_403_csrf(api, factory, path_template, body, db):
    agent, conv, _msg, hint = factory.scene()
    path = path_template.format(hint=hint, conv=conv)
    payload = {
        k: (int(v.format(hint=hint, conv=conv)) if isinstance(v, str) and "{" in v else v) for k, v in body.items()
    }
    resp = api.post(path, user=agent, cookie=True, json=payload, headers={"Origin": EVIL_ORIGIN})
    assert_error(resp, 403, "csrf")
    row = factory.hint_row(hint)
    assert row["viewed_at"] is None and row["feedback"] is None
    assert factory.events(hint) == []
    typing_rows = db.query("SELECT * FROM coaching_typing_state WHERE agent_id = %s", (agent.id,))
    assert typing_rows == [] or all(not r["is_typing"] for r in typing_rows)


def test_cookie_post_cross_origin_referer_is_403(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post(
        "/api/coaching/hints/%d/view" % hint,
        user=agent,
        cookie=True,
        json={},
        headers={"Referer": EVIL_ORIGIN + "/page.html"},
    )
    assert_error(resp, 403, "csrf")
    assert not _viewed(factory, hint)


def test_cookie_post_null_origin_is_403(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post(
        "/api/coaching/hints/%d/view" % hint, user=agent, cookie=True, json={}, headers={"Origin": "null"}
    )
    assert_error(resp, 403, "csrf")
    assert not _viewed(factory, hint)


def test_cookie_post_form_without_origin_or_referer_is_403(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post_raw(
        "/api/coaching/hints/%d/feedback" % hint,
        "feedback=helpful",
        "application/x-www-form-urlencoded",
        user=agent,
        cookie=True,
    )
    assert_error(resp, 403, "csrf")
    assert factory.hint_row(hint)["feedback"] is None


def test_cookie_post_form_cross_origin_is_403(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post_raw(
        "/coaching/mark-viewed",
        "hint_id=%d" % hint,
        "application/x-www-form-urlencoded",
        user=agent,
        cookie=True,
        headers={"Origin": EVIL_ORIGIN, "Referer": EVIL_ORIGIN + "/"},
    )
    assert_error(resp, 403, "csrf")
    assert not _viewed(factory, hint)


def test_cookie_post_form_same_origin_is_allowed(api, factory, stack):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post_raw(
        "/api/coaching/hints/%d/feedback" % hint,
        "feedback=not_helpful",
        "application/x-www-form-urlencoded",
        user=agent,
        cookie=True,
        headers={"Origin": stack.base_url},
    )
    assert json_body(resp)["success"] is True
    assert factory.hint_row(hint)["feedback"] == "not_helpful"


def test_cookie_post_text_plain_without_origin_is_not_accepted(api, factory):
    """A cross-site HTML form can send text/plain; it must not act with the cookie."""
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post_raw(
        "/api/coaching/hints/%d/feedback" % hint,
        '{"feedback":"helpful"}',
        "text/plain",
        user=agent,
        cookie=True,
    )
    assert resp.status_code in (400, 403, 415), resp.text
    assert factory.hint_row(hint)["feedback"] is None


def test_bearer_post_is_not_subject_to_csrf(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post(
        "/api/coaching/hints/%d/feedback" % hint,
        user=agent,
        json={"feedback": "helpful"},
        headers={"Origin": EVIL_ORIGIN},
    )
    assert json_body(resp)["success"] is True
    resp = api.post_raw(
        "/coaching/mark-viewed", "hint_id=%d" % hint, "application/x-www-form-urlencoded", user=agent
    )
    assert json_body(resp)["success"] is True
    assert _viewed(factory, hint)


def test_existing_ui_requests_succeed_with_cookie(api, factory, stack, coaching_enabled):
    """Replays the requests of the chat system's own scripts (SPEC §7.1) with cookie auth."""
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    msg = factory.message(conv)
    h1 = factory.hint(conv, agent.id, message_id=msg, suggestions=["Posso te ligar agora?", "Segue o link."])
    h2 = factory.hint(conv, agent.id, message_id=msg, hint_type="question")
    h3 = factory.hint(conv, agent.id, message_id=msg, hint_type="buying_signal")
    page = stack.base_url + "/conversations?id=%d" % conv
    get_headers = {"Referer": page}
    post_headers = {"Content-Type": "application/json", "Origin": stack.base_url, "Referer": page}

    def get(path):
        return api.get(path, user=agent, cookie=True, headers=get_headers)

    def post(path, body):
        return api.post_raw(path, json.dumps(body), "application/json", user=agent, cookie=True, headers=post_headers)

    # "is it enabled" probe: enabled !== false counts as enabled
    probe = get("/api/coaching/hints/pending")
    assert probe.status_code in (200, 400), probe.text
    assert probe.json().get("enabled") is not False

    body = json_body(get("/api/coaching/hints/conversation/%d" % conv))
    assert body["success"] is True and body["enabled"] is not False
    assert sorted(h["id"] for h in body["hints"]) == sorted([h1, h2, h3])
    assert isinstance(body["hints_by_message"], dict)
    assert sorted(h["id"] for h in body["hints_by_message"][str(msg)]) == sorted([h1, h2, h3])
    assert all(isinstance(h["suggestions"], list) for h in body["hints"])

    settings = json_body(get("/api/coaching/settings"))
    assert settings["success"] is True
    assert settings["coaching_enabled"] is True

    pending = json_body(get("/coaching/pending-hints?conversation_id=%d&seconds=10" % conv))
    assert pending["success"] is True and pending["enabled"] is True
    assert sorted(h["id"] for h in pending["hints"]) == sorted([h1, h2, h3])

    used = json_body(post("/api/coaching/hints/%d/use-suggestion" % h1, {"suggestion_index": 1}))
    assert used["success"] is True and used["suggestion"] == "Segue o link."

    assert json_body(post("/api/coaching/hints/%d/feedback" % h1, {"feedback": "helpful"}))["success"] is True
    assert json_body(post("/api/coaching/hints/%d/view" % h2, {}))["success"] is True
    assert json_body(post("/coaching/mark-viewed", {"hint_id": h3}))["success"] is True
    assert json_body(post("/coaching/feedback", {"hint_id": h2, "helpful": False}))["success"] is True

    rows = {h: factory.hint_row(h) for h in (h1, h2, h3)}
    assert all(r["viewed_at"] is not None for r in rows.values())
    assert rows[h1]["feedback"] == "helpful"
    assert rows[h2]["feedback"] == "not_helpful"
