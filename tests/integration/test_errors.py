"""Error handling: unknown routes, methods, malformed bodies, size limit, bad ids (SPEC §3, §11)."""

import json

import pytest

from conftest import assert_error, assert_json_headers, json_body


# ---------------------------------------------------------------------------
# routing
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/coaching/no-such-route"),
        ("GET", "/api/coaching/no-such-route"),
        ("POST", "/api/coaching/no-such-route"),
        ("POST", "/api/coaching/hints/1/explode"),
        ("GET", "/api/coaching/hints/conversation"),
        ("GET", "/coaching/stats/extra/segments"),
    ],
)
def test_unknown_route_is_404_json(api, factory, method, path):
    agent = factory.agent()
    resp = api.request(method, path, user=agent, json={} if method == "POST" else None)
    body = assert_error(resp, 404, "not_found")
    assert "\\/" not in resp.text
    assert body["success"] is False


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/api/coaching/hints/{hint}/view"),
        ("GET", "/api/coaching/hints/{hint}/feedback"),
        ("GET", "/api/coaching/hints/{hint}/use-suggestion"),
        ("DELETE", "/api/coaching/hints/{hint}/view"),
        ("PUT", "/api/coaching/hints/{hint}/feedback"),
        ("GET", "/api/coaching/typing"),
        ("GET", "/coaching/mark-viewed"),
        ("GET", "/coaching/feedback"),
        ("DELETE", "/coaching/feedback"),
        ("POST", "/coaching/pending-hints"),
        ("POST", "/api/coaching/hints/pending"),
        ("DELETE", "/api/coaching/hints/conversation/{conv}"),
        ("PUT", "/coaching/stats"),
        ("DELETE", "/api/coaching/settings"),
    ],
)
def test_wrong_method_is_405(api, factory, method, path):
    agent, conv, _msg, hint = factory.scene()
    resp = api.request(method, path.format(hint=hint, conv=conv), user=agent)
    assert_error(resp, 405, "method_not_allowed")
    row = factory.hint_row(hint)
    assert row["viewed_at"] is None and row["feedback"] is None


def test_wrong_method_without_token_is_not_500(api):
    resp = api.request("DELETE", "/api/coaching/hints/1/view")
    assert_error(resp, (401, 405))


# ---------------------------------------------------------------------------
# bodies
# ---------------------------------------------------------------------------

MALFORMED_JSON = [
    '{"feedback": ',
    "{feedback: helpful}",
    '{"feedback": "helpful",}',
    "[1, 2",
    "nul",
    '{"feedback": "helpful"} trailing',
]


@pytest.mark.parametrize("raw", MALFORMED_JSON)
@pytest.mark.parametrize(
    "path_template",
    [
        "/api/coaching/hints/{hint}/feedback",
        "/api/coaching/hints/{hint}/use-suggestion",
        "/api/coaching/hints/{hint}/view",
        "/coaching/mark-viewed",
        "/coaching/feedback",
        "/api/coaching/typing",
    ],
)
def test_malformed_json_is_400(api, factory, path_template, raw):
    agent, conv, _msg, hint = factory.scene()
    resp = api.post_raw(path_template.format(hint=hint, conv=conv), raw, "application/json", user=agent)
    assert_error(resp, 400, "bad_request")
    row = factory.hint_row(hint)
    assert row["viewed_at"] is None and row["feedback"] is None


@pytest.mark.parametrize(
    "body",
    ['"helpful"', "[]", "42", "null", '[{"feedback": "helpful"}]'],
    ids=["string", "array", "number", "null", "array-of-object"],
)
def test_json_body_that_is_not_an_object_is_400(api, factory, body):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post_raw("/api/coaching/hints/%d/feedback" % hint, body, "application/json", user=agent)
    assert_error(resp, 400, "bad_request")
    assert factory.hint_row(hint)["feedback"] is None


def test_malformed_form_body_is_400(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post_raw(
        "/api/coaching/hints/%d/feedback" % hint, "feedback=%zz&&==", "application/x-www-form-urlencoded", user=agent
    )
    assert_error(resp, 400, "bad_request")
    assert factory.hint_row(hint)["feedback"] is None


def test_invalid_utf8_body_is_400(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    raw = b'{"feedback": "helpful", "reason": "\xff\xfe\xc3("}'
    resp = api.post_raw("/api/coaching/hints/%d/feedback" % hint, raw, "application/json", user=agent)
    assert_error(resp, 400, "bad_request")


def test_body_over_the_limit_is_413(api, factory, stack):
    agent, _conv, _msg, hint = factory.scene()
    padding = "x" * (stack.body_limit + 1024)
    raw = json.dumps({"feedback": "helpful", "reason": padding})
    resp = api.post_raw("/api/coaching/hints/%d/feedback" % hint, raw, "application/json", user=agent, timeout=60)
    assert_error(resp, 413, "payload_too_large")
    assert factory.hint_row(hint)["feedback"] is None


def test_form_body_over_the_limit_is_413(api, factory, stack):
    agent, _conv, _msg, hint = factory.scene()
    raw = "hint_id=%d&feedback=helpful&reason=%s" % (hint, "y" * (stack.body_limit + 10))
    resp = api.post_raw("/coaching/feedback", raw, "application/x-www-form-urlencoded", user=agent, timeout=60)
    assert_error(resp, 413, "payload_too_large")
    assert factory.hint_row(hint)["feedback"] is None


def test_service_still_answers_after_oversized_body(api, factory, stack):
    agent, _conv, _msg, hint = factory.scene()
    raw = json.dumps({"feedback": "helpful", "reason": "z" * (stack.body_limit * 2)})
    resp = api.post_raw("/api/coaching/hints/%d/feedback" % hint, raw, "application/json", user=agent, timeout=60)
    assert resp.status_code == 413
    assert json_body(api.get("/coaching/health"))["success"] is True
    body = json_body(api.post("/api/coaching/hints/%d/feedback" % hint, user=agent, json={"feedback": "helpful"}))
    assert body["success"] is True


@pytest.mark.parametrize(
    "path_template,body",
    [
        ("/api/coaching/hints/{hint}/use-suggestion", {"suggestion_index": "first"}),
        ("/coaching/mark-viewed", {"hint_id": {"id": 1}}),
        ("/api/coaching/typing", {"conversation_id": [1], "is_typing": True}),
        ("/api/coaching/typing", {"conversation_id": "{conv}", "is_typing": "sometimes"}),
    ],
    ids=["index-word", "hint-id-object", "conversation-array", "typing-word"],
)
def test_wrong_field_types_are_400(api, factory, path_template, body):
    agent, conv, _msg, hint = factory.scene()
    payload = {k: (conv if v == "{conv}" else v) for k, v in body.items()}
    resp = api.post(path_template.format(hint=hint, conv=conv), user=agent, json=payload)
    assert_error(resp, 400, "bad_request")


# ---------------------------------------------------------------------------
# ids in paths and parameters
# ---------------------------------------------------------------------------

BAD_IDS = ["abc", "0", "-1", "1.5", "1e3", "0x10", "99999999999999999999", "%20", "12abc"]

ID_ROUTES = [
    ("POST", "/api/coaching/hints/{id}/view"),
    ("POST", "/api/coaching/hints/{id}/feedback"),
    ("POST", "/api/coaching/hints/{id}/use-suggestion"),
    ("GET", "/api/coaching/hints/conversation/{id}"),
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize("method,template", ID_ROUTES, ids=["view", "feedback", "use-suggestion", "conversation"])
def test_bad_path_id_is_400_naming_the_id(api, factory, coaching_enabled, method, template, bad_id):
    agent = factory.agent()
    body = {"feedback": "helpful", "suggestion_index": 0}
    resp = api.request(method, template.format(id=bad_id), user=agent, json=body if method == "POST" else None)
    assert assert_error(resp, 400, "bad_request")["field"] == "id"


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "1.5", "99999999999999999999", ""])
@pytest.mark.parametrize("route", ["/api/coaching/hints/pending", "/coaching/pending-hints"])
def test_bad_conversation_id_parameter_is_400(api, factory, coaching_enabled, route, bad_id):
    agent = factory.agent()
    resp = api.get(route, user=agent, params={"conversation_id": bad_id})
    if resp.status_code == 200:
        # an empty parameter may be read as "no conversation" by the legacy poller
        assert bad_id == "" and route == "/coaching/pending-hints", resp.text
        assert_json_headers(resp)
    else:
        assert_error(resp, 400, "bad_request")


@pytest.mark.parametrize("limit", ["abc", "-1", "0", "1.5", "99999999999999999999"])
def test_bad_limit_is_never_500(api, factory, coaching_enabled, limit):
    agent, conv, _msg, _hint = factory.scene()
    resp = api.get("/api/coaching/hints/conversation/%d" % conv, user=agent, params={"limit": limit})
    if resp.status_code == 200:
        body = json_body(resp)
        assert isinstance(body["hints"], list) and len(body["hints"]) <= 500
    else:
        assert_error(resp, 400, "bad_request")


def test_missing_conversation_is_empty_or_404(api, factory, db, coaching_enabled):
    agent = factory.agent()
    missing = int(db.scalar("SELECT COALESCE(MAX(id), 0) FROM conversations")) + 1000
    resp = api.get("/api/coaching/hints/conversation/%d" % missing, user=agent)
    if resp.status_code == 200:
        body = json_body(resp)
        assert body["hints"] == [] and body["hints_by_message"] == {}
    else:
        assert_error(resp, 404, "not_found")


# ---------------------------------------------------------------------------
# response headers
# ---------------------------------------------------------------------------


def test_success_and_error_responses_carry_json_headers(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    for resp in (
        api.get("/coaching/health"),
        api.get("/api/coaching/settings", user=agent),
        api.post("/api/coaching/hints/%d/view" % hint, user=agent, json={}),
        api.get("/api/coaching/settings"),
        api.get("/api/coaching/nope", user=agent),
    ):
        assert_json_headers(resp)
        assert isinstance(resp.json(), dict)
