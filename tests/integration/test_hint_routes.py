"""Agent routes under /api/coaching/ (SPEC §3): shapes, windows, ownership, actions."""

import json
import time

import pytest

from conftest import (
    SHORT_MESSAGE,
    assert_error,
    assert_hint_shape,
    assert_timestamp,
    db_timestamp,
    ids,
    json_body,
    wait_until,
)

PENDING_ROUTES = ["/api/coaching/hints/pending", "/coaching/pending-hints"]


def pending(api, user, conv, route="/api/coaching/hints/pending", **params):
    query = {"conversation_id": conv}
    query.update(params)
    return api.get(route, user=user, params=query)


def assert_matches_row(hint, row):
    """The JSON hint carries the stored values with the documented types."""
    assert hint["id"] == row["id"]
    assert hint["conversation_id"] == row["conversation_id"]
    assert hint["agent_id"] == row["agent_id"]
    assert hint["message_id"] == row["message_id"]
    assert hint["hint_type"] == row["hint_type"]
    assert hint["hint_text"] == row["hint_text"]
    expected_suggestions = json.loads(row["suggestions"]) if row["suggestions"] else []
    if isinstance(expected_suggestions, list):
        assert hint["suggestions"] == expected_suggestions
    assert hint["model_used"] == row["model_used"]
    assert hint["tokens_used"] == row["tokens_used"]
    assert abs(hint["cost"] - float(row["cost"])) < 1e-9
    assert hint["viewed_at"] == db_timestamp(row["viewed_at"])
    assert hint["feedback"] == row["feedback"]
    assert hint["created_at"] == db_timestamp(row["created_at"])


# ---------------------------------------------------------------------------
# pending hints
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("route", PENDING_ROUTES)
def test_pending_hints_shape_and_newest_first(api, factory, coaching_enabled, route):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    msg = factory.message(conv)
    oldest = factory.hint(conv, agent.id, message_id=msg, age_seconds=12)
    middle = factory.hint(conv, agent.id, message_id=msg, hint_type="question", age_seconds=6, model_used=None)
    newest = factory.hint(conv, agent.id, message_id=None, hint_type="buying_signal", age_seconds=1, tokens_used=0, cost=0)

    body = json_body(pending(api, agent, conv, route=route))
    assert body["success"] is True
    assert body["enabled"] is True
    assert ids(body["hints"]) == [newest, middle, oldest]
    for hint in body["hints"]:
        assert_hint_shape(hint, pending=True)
        assert_matches_row(hint, factory.hint_row(hint["id"]))
    by_id = {h["id"]: h for h in body["hints"]}
    assert by_id[oldest]["message_body"] == SHORT_MESSAGE
    assert by_id[middle]["message_body"] == SHORT_MESSAGE
    assert by_id[newest]["message_body"] in (None, "")


def test_created_at_is_in_the_configured_time_zone(api, factory, db, stack, coaching_enabled):
    agent, conv, _msg, hint = factory.scene()
    body = json_body(pending(api, agent, conv))
    (got,) = body["hints"]
    # The helper connection uses the configured session time zone as well.
    expected = db.one(
        "SELECT created_at, CONVERT_TZ(created_at, @@session.time_zone, %s) AS in_zone "
        "FROM realtime_coaching_hints WHERE id = %s",
        (stack.db_time_zone, hint),
    )
    assert got["created_at"] == db_timestamp(expected["in_zone"])


@pytest.mark.parametrize("route", PENDING_ROUTES)
def test_pending_hints_honour_seconds(api, factory, coaching_enabled, route):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    msg = factory.message(conv)
    fresh = factory.hint(conv, agent.id, message_id=msg, age_seconds=1)
    hundred = factory.hint(conv, agent.id, message_id=msg, age_seconds=100)

    assert ids(json_body(pending(api, agent, conv, route=route))["hints"]) == [fresh]
    assert ids(json_body(pending(api, agent, conv, route=route, seconds=30))["hints"]) == [fresh]
    assert ids(json_body(pending(api, agent, conv, route=route, seconds=300))["hints"]) == [fresh, hundred]


@pytest.mark.parametrize("route", PENDING_ROUTES)
def test_pending_hints_seconds_is_capped_at_3600(api, factory, coaching_enabled, route):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    inside = factory.hint(conv, agent.id, age_seconds=2000)
    outside = factory.hint(conv, agent.id, age_seconds=4000)
    for seconds in (3600, 99999, 10 ** 12):
        got = ids(json_body(pending(api, agent, conv, route=route, seconds=seconds))["hints"])
        assert inside in got, seconds
        assert outside not in got, seconds


@pytest.mark.parametrize("route", PENDING_ROUTES)
@pytest.mark.parametrize("seconds", ["abc", "10s", "1e9x"])
def test_pending_hints_non_numeric_seconds_is_400(api, factory, coaching_enabled, route, seconds):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    assert_error(pending(api, agent, conv, route=route, seconds=seconds), 400, "bad_request")


def test_pending_hints_without_conversation_id_is_400_when_enabled(api, factory, coaching_enabled):
    agent = factory.agent()
    resp = api.get("/api/coaching/hints/pending", user=agent)
    body = assert_error(resp, 400, "bad_request")
    # the existing inline UI treats anything but enabled === false as enabled
    assert body.get("enabled") is not False


@pytest.mark.parametrize("route", PENDING_ROUTES)
def test_pending_hints_only_show_own_hints(api, factory, coaching_enabled, route):
    a = factory.agent()
    b = factory.agent()
    conv = factory.conversation(a.id)
    mine = factory.hint(conv, a.id, age_seconds=2)
    theirs = factory.hint(conv, b.id, age_seconds=1)  # b was assigned before
    assert ids(json_body(pending(api, a, conv, route=route))["hints"]) == [mine]
    assert ids(json_body(pending(api, b, conv, route=route))["hints"]) == [theirs]


def poll_ids(api, user, conv):
    return ids(json_body(pending(api, user, conv))["hints"])


def test_a_hint_saved_by_another_process_reaches_a_cached_poll(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    assert poll_ids(api, agent, conv) == []
    assert poll_ids(api, agent, conv) == []  # now answered from the poll cache
    hint = factory.hint(conv, agent.id)  # a plain INSERT, as a worker on another host does
    wait_until(lambda: poll_ids(api, agent, conv) == [hint], timeout=2, message="the new hint in the poll")


def test_a_view_recorded_by_another_process_reaches_a_cached_poll(api, factory, db, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    hint = factory.hint(conv, agent.id)
    assert json_body(pending(api, agent, conv))["hints"][0]["viewed_at"] is None
    db.execute("UPDATE realtime_coaching_hints SET viewed_at = NOW() WHERE id = %s", (hint,))
    db.execute("INSERT INTO coaching_hint_events (hint_id, agent_id, event) VALUES (%s, %s, 'viewed')", (hint, agent.id))
    wait_until(lambda: json_body(pending(api, agent, conv))["hints"][0]["viewed_at"] is not None, timeout=2,
               message="viewed_at in the poll")


def test_a_hint_committed_after_a_newer_one_still_reaches_a_cached_poll(api, factory, stack, coaching_enabled):
    import pymysql

    slow, quick = factory.agent(), factory.agent()
    slow_conv, quick_conv = factory.conversation(slow.id), factory.conversation(quick.id)
    assert poll_ids(api, slow, slow_conv) == []
    other = pymysql.connect(autocommit=False, charset="utf8mb4", **stack.db_params())
    try:
        with other.cursor() as cursor:
            # Takes the lower id now, commits last.
            cursor.execute("INSERT INTO realtime_coaching_hints (conversation_id, agent_id, hint_type, hint_text, "
                           "suggestions, created_at) VALUES (%s, %s, 'objection', 'late', '[]', NOW())",
                           (slow_conv, slow.id))
            late = cursor.lastrowid
            factory.hint_ids.append(late)
        newer = factory.hint(quick_conv, quick.id)
        assert newer > late
        wait_until(lambda: poll_ids(api, quick, quick_conv) == [newer], timeout=2, message="the newer hint")
        assert poll_ids(api, slow, slow_conv) == []
        other.commit()
    finally:
        other.close()
    wait_until(lambda: poll_ids(api, slow, slow_conv) == [late], timeout=2, message="the late hint in the poll")


# ---------------------------------------------------------------------------
# hints of a conversation
# ---------------------------------------------------------------------------


def test_conversation_hints_shape_and_grouping(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    m1 = factory.message(conv, content="Caro!")
    m2 = factory.message(conv, content="E o prazo?")
    h_old = factory.hint(conv, agent.id, message_id=m1, age_seconds=3 * 86400)
    h1 = factory.hint(conv, agent.id, message_id=m1, age_seconds=50)
    h2 = factory.hint(conv, agent.id, message_id=m1, hint_type="opportunity", age_seconds=40, viewed_ago=30, feedback="helpful")
    h3 = factory.hint(conv, agent.id, message_id=m2, hint_type="question", age_seconds=30)
    h4 = factory.hint(conv, agent.id, message_id=None, hint_type="negative_sentiment", age_seconds=20, feedback="not_helpful")

    body = json_body(api.get("/api/coaching/hints/conversation/%d" % conv, user=agent))
    assert body["success"] is True
    assert body["enabled"] is True
    assert ids(body["hints"]) == [h4, h3, h2, h1, h_old]
    for hint in body["hints"]:
        assert_hint_shape(hint)
        assert_matches_row(hint, factory.hint_row(hint["id"]))

    groups = body["hints_by_message"]
    assert isinstance(groups, dict)
    assert sorted(ids(groups[str(m1)])) == sorted([h_old, h1, h2])
    assert ids(groups[str(m2)]) == [h3]
    for key, group in groups.items():
        assert isinstance(group, list)
        for hint in group:
            assert_hint_shape(hint)
            if key not in (str(m1), str(m2)):
                assert hint["id"] == h4, "hint %s listed under message %s" % (hint["id"], key)


def test_conversation_hints_default_limit_is_50(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    created = [factory.hint(conv, agent.id, age_seconds=age) for age in range(55)]
    body = json_body(api.get("/api/coaching/hints/conversation/%d" % conv, user=agent))
    assert ids(body["hints"]) == created[:50]


def test_conversation_hints_limit_parameter(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    created = [factory.hint(conv, agent.id, age_seconds=age) for age in range(7)]
    body = json_body(api.get("/api/coaching/hints/conversation/%d?limit=3" % conv, user=agent))
    assert ids(body["hints"]) == created[:3]
    body = json_body(api.get("/api/coaching/hints/conversation/%d?limit=500" % conv, user=agent))
    assert ids(body["hints"]) == created


def test_conversation_hints_limit_above_500_is_bounded(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    created = [factory.hint(conv, agent.id, age_seconds=age) for age in range(3)]
    resp = api.get("/api/coaching/hints/conversation/%d?limit=100000" % conv, user=agent)
    if resp.status_code == 400:
        assert_error(resp, 400, "bad_request")
    else:
        assert ids(json_body(resp)["hints"]) == created


def test_conversation_hints_of_another_agent_are_not_shown(api, factory, coaching_enabled):
    a = factory.agent()
    b = factory.agent()
    conv = factory.conversation(a.id)
    msg = factory.message(conv)
    hint_a = factory.hint(conv, a.id, message_id=msg)
    resp = api.get("/api/coaching/hints/conversation/%d" % conv, user=b)
    if resp.status_code == 200:
        body = resp.json()
        assert hint_a not in ids(body["hints"])
        assert all(hint_a not in ids(g) for g in body["hints_by_message"].values())
    else:
        assert_error(resp, (403, 404))


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisor_reads_agent_conversation_hints_with_agent_id(api, factory, coaching_enabled, role):
    agent, conv, _msg, hint = factory.scene()
    boss = factory.user(role)
    body = json_body(api.get("/api/coaching/hints/conversation/%d?agent_id=%d" % (conv, agent.id), user=boss))
    assert ids(body["hints"]) == [hint]


# ---------------------------------------------------------------------------
# suggestions column edge cases and JSON encoding
# ---------------------------------------------------------------------------


def test_null_suggestions_are_an_empty_list(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    hint = factory.hint(conv, agent.id, suggestions=None)
    for resp in (
        pending(api, agent, conv),
        pending(api, agent, conv, route="/coaching/pending-hints"),
        api.get("/api/coaching/hints/conversation/%d" % conv, user=agent),
    ):
        (got,) = json_body(resp)["hints"]
        assert got["id"] == hint
        assert got["suggestions"] == []


@pytest.mark.parametrize("raw", ['{"a": 1}', '"texto solto"', "42", "null", '[1, null, {"x": 2}]'])
def test_non_array_suggestions_are_still_a_list(api, factory, coaching_enabled, raw):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    hint = factory.hint(conv, agent.id, suggestions_raw=raw)
    for resp in (pending(api, agent, conv), api.get("/api/coaching/hints/conversation/%d" % conv, user=agent)):
        (got,) = json_body(resp)["hints"]
        assert got["id"] == hint
        assert isinstance(got["suggestions"], list)
        assert all(isinstance(s, str) for s in got["suggestions"])


def test_json_output_keeps_slashes_and_unicode_verbatim(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    text = "Cliente quer ação/😀 já — veja https://exemplo.com.br/planos/anual"
    factory.hint(conv, agent.id, hint_text=text, suggestions=["Ótimo/😀!", "Posso enviar o link?"])
    for resp in (pending(api, agent, conv), api.get("/api/coaching/hints/conversation/%d" % conv, user=agent)):
        json_body(resp)
        raw = resp.content.decode("utf-8")
        assert "ação/😀" in raw
        assert "https://exemplo.com.br/planos/anual" in raw
        assert "Ótimo/😀!" in raw
        assert "\\/" not in raw
        assert "\\u" not in raw
        assert resp.json()["hints"][0]["hint_text"] == text


# ---------------------------------------------------------------------------
# view
# ---------------------------------------------------------------------------


def test_view_sets_viewed_at_once(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    first = json_body(api.post("/api/coaching/hints/%d/view" % hint, user=agent, json={}))
    assert first["success"] is True
    assert_timestamp(first["viewed_at"])
    stored = factory.hint_row(hint)["viewed_at"]
    assert db_timestamp(stored) == first["viewed_at"]

    time.sleep(1.2)
    second = json_body(api.post("/api/coaching/hints/%d/view" % hint, user=agent, json={}))
    assert second["success"] is True
    assert second["viewed_at"] == first["viewed_at"]
    assert factory.hint_row(hint)["viewed_at"] == stored
    assert len(factory.events(hint, "viewed")) == 1


def test_view_without_body_works(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    body = json_body(api.post("/api/coaching/hints/%d/view" % hint, user=agent))
    assert body["success"] is True
    assert factory.hint_row(hint)["viewed_at"] is not None


def test_view_keeps_an_earlier_viewed_at(api, factory):
    agent, _conv, _msg, hint = factory.scene(viewed_ago=600)
    stored = factory.hint_row(hint)["viewed_at"]
    body = json_body(api.post("/api/coaching/hints/%d/view" % hint, user=agent, json={}))
    assert body["viewed_at"] == db_timestamp(stored)
    assert factory.hint_row(hint)["viewed_at"] == stored


# ---------------------------------------------------------------------------
# feedback
# ---------------------------------------------------------------------------


def test_feedback_last_write_wins(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    path = "/api/coaching/hints/%d/feedback" % hint
    body = json_body(api.post(path, user=agent, json={"feedback": "helpful"}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "helpful"
    body = json_body(api.post(path, user=agent, json={"feedback": "not_helpful", "reason": "não se aplica"}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "not_helpful"
    body = json_body(api.post(path, user=agent, json={"feedback": "helpful"}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "helpful"
    assert len(factory.events(hint, "feedback")) >= 1


def test_feedback_accepts_form_body(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post(
        "/api/coaching/hints/%d/feedback" % hint, user=agent, data={"feedback": "not_helpful", "reason": "genérica"}
    )
    assert json_body(resp)["success"] is True
    assert factory.hint_row(hint)["feedback"] == "not_helpful"


@pytest.mark.parametrize(
    "body",
    [
        {"feedback": "great"},
        {"feedback": ""},
        {"feedback": None},
        {"feedback": 1},
        {"feedback": True},
        {"feedback": ["helpful"]},
        {"feedback": "helpful; DROP TABLE users"},
        {},
        {"reason": "sem valor"},
    ],
    ids=["word", "empty", "null", "number", "bool", "array", "injection", "empty-object", "only-reason"],
)
def test_feedback_invalid_value_is_400(api, factory, body):
    agent, _conv, _msg, hint = factory.scene(feedback="helpful")
    resp = api.post("/api/coaching/hints/%d/feedback" % hint, user=agent, json=body)
    assert_error(resp, 400, "bad_request")
    assert factory.hint_row(hint)["feedback"] == "helpful"


def test_feedback_invalid_form_value_is_400(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post("/api/coaching/hints/%d/feedback" % hint, user=agent, data={"feedback": "meh"})
    assert_error(resp, 400, "bad_request")
    assert factory.hint_row(hint)["feedback"] is None


# ---------------------------------------------------------------------------
# use-suggestion
# ---------------------------------------------------------------------------

SUGGESTIONS = ["Primeira opção", "Segunda/2", "Terceira ação 😀"]


def test_use_suggestion_returns_text_records_event_and_marks_viewed(api, factory):
    agent, _conv, _msg, hint = factory.scene(suggestions=SUGGESTIONS)
    resp = api.post("/api/coaching/hints/%d/use-suggestion" % hint, user=agent, json={"suggestion_index": 2})
    body = json_body(resp)
    assert body["success"] is True
    assert body["suggestion"] == SUGGESTIONS[2]
    assert "\\u" not in resp.text and "\\/" not in resp.text
    assert factory.hint_row(hint)["viewed_at"] is not None
    events = factory.events(hint, "suggestion_used")
    assert len(events) == 1
    assert events[0]["agent_id"] == agent.id
    detail = events[0]["detail"]
    detail = json.loads(detail) if isinstance(detail, (str, bytes)) else detail
    assert detail["index"] == 2


def test_use_suggestion_twice_records_two_uses(api, factory):
    agent, _conv, _msg, hint = factory.scene(suggestions=SUGGESTIONS)
    path = "/api/coaching/hints/%d/use-suggestion" % hint
    assert json_body(api.post(path, user=agent, json={"suggestion_index": 0}))["suggestion"] == SUGGESTIONS[0]
    assert json_body(api.post(path, user=agent, json={"suggestion_index": 1}))["suggestion"] == SUGGESTIONS[1]
    details = [e["detail"] for e in factory.events(hint, "suggestion_used")]
    details = [json.loads(d) if isinstance(d, (str, bytes)) else d for d in details]
    assert sorted(d["index"] for d in details) == [0, 1]


def test_use_suggestion_accepts_form_body(api, factory):
    agent, _conv, _msg, hint = factory.scene(suggestions=SUGGESTIONS)
    resp = api.post("/api/coaching/hints/%d/use-suggestion" % hint, user=agent, data={"suggestion_index": "1"})
    assert json_body(resp)["suggestion"] == SUGGESTIONS[1]


def test_use_suggestion_keeps_an_earlier_viewed_at(api, factory):
    agent, _conv, _msg, hint = factory.scene(suggestions=SUGGESTIONS, viewed_ago=300)
    stored = factory.hint_row(hint)["viewed_at"]
    json_body(api.post("/api/coaching/hints/%d/use-suggestion" % hint, user=agent, json={"suggestion_index": 0}))
    assert factory.hint_row(hint)["viewed_at"] == stored


@pytest.mark.parametrize(
    "body",
    [
        {"suggestion_index": 3},
        {"suggestion_index": 99},
        {"suggestion_index": -1},
        {"suggestion_index": "x"},
        {"suggestion_index": None},
        {"suggestion_index": 1.5},
        {"suggestion_index": [0]},
        {},
    ],
    ids=["past-end", "far", "negative", "word", "null", "fraction", "array", "missing"],
)
def test_use_suggestion_bad_index_is_400(api, factory, body):
    agent, _conv, _msg, hint = factory.scene(suggestions=SUGGESTIONS)
    resp = api.post("/api/coaching/hints/%d/use-suggestion" % hint, user=agent, json=body)
    assert_error(resp, 400, "bad_request")
    assert factory.hint_row(hint)["viewed_at"] is None
    assert factory.events(hint, "suggestion_used") == []


def test_use_suggestion_on_hint_without_suggestions_is_400(api, factory):
    agent, _conv, _msg, hint = factory.scene(suggestions=None)
    resp = api.post("/api/coaching/hints/%d/use-suggestion" % hint, user=agent, json={"suggestion_index": 0})
    assert_error(resp, 400, "bad_request")
    assert factory.events(hint, "suggestion_used") == []


# ---------------------------------------------------------------------------
# ownership
# ---------------------------------------------------------------------------

ACTIONS = [
    ("/api/coaching/hints/{hint}/view", {}),
    ("/api/coaching/hints/{hint}/feedback", {"feedback": "helpful"}),
    ("/api/coaching/hints/{hint}/use-suggestion", {"suggestion_index": 0}),
    ("/coaching/mark-viewed", {"hint_id": None}),
    ("/coaching/feedback", {"hint_id": None, "helpful": True}),
    ("/coaching/feedback", {"hint_id": None, "feedback": "not_helpful"}),
]
ACTION_IDS = ["view", "feedback", "use-suggestion", "mark-viewed", "legacy-helpful", "legacy-feedback"]


def _action(path_template, body, hint):
    path = path_template.format(hint=hint)
    payload = dict(body)
    if "hint_id" in payload:
        payload["hint_id"] = hint
    return path, payload


@pytest.mark.parametrize("path_template,body", ACTIONS, ids=ACTION_IDS)
def test_another_agents_hint_is_404(api, factory, path_template, body):
    owner, _conv, _msg, hint = factory.scene()
    intruder = factory.agent()
    path, payload = _action(path_template, body, hint)
    assert_error(api.post(path, user=intruder, json=payload), 404, "not_found")
    row = factory.hint_row(hint)
    assert row["viewed_at"] is None
    assert row["feedback"] is None
    assert factory.events(hint) == []


@pytest.mark.parametrize("path_template,body", ACTIONS, ids=ACTION_IDS)
def test_missing_hint_is_404(api, factory, db, path_template, body):
    agent = factory.agent()
    missing = int(db.scalar("SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_hints")) + 1000
    path, payload = _action(path_template, body, missing)
    assert_error(api.post(path, user=agent, json=payload), 404, "not_found")


# ---------------------------------------------------------------------------
# typing
# ---------------------------------------------------------------------------


def typing_row(db, agent_id, conv):
    return db.one(
        "SELECT * FROM coaching_typing_state WHERE agent_id = %s AND conversation_id = %s", (agent_id, conv)
    )


def test_typing_stores_state(api, factory, db):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    body = json_body(api.post("/api/coaching/typing", user=agent, json={"conversation_id": conv, "is_typing": True}))
    assert body["success"] is True
    row = typing_row(db, agent.id, conv)
    assert row is not None and int(row["is_typing"]) == 1
    assert row["updated_at"] is not None

    body = json_body(api.post("/api/coaching/typing", user=agent, json={"conversation_id": conv, "is_typing": False}))
    assert body["success"] is True
    row = typing_row(db, agent.id, conv)
    assert row is None or int(row["is_typing"]) == 0

    json_body(api.post("/api/coaching/typing", user=agent, json={"conversation_id": conv, "is_typing": True}))
    assert int(typing_row(db, agent.id, conv)["is_typing"]) == 1
    rows = db.query("SELECT * FROM coaching_typing_state WHERE agent_id = %s AND conversation_id = %s", (agent.id, conv))
    assert len(rows) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"is_typing": True},
        {"conversation_id": "abc", "is_typing": True},
        {"conversation_id": 0, "is_typing": True},
        {"conversation_id": -4, "is_typing": True},
    ],
    ids=["missing", "word", "zero", "negative"],
)
def test_typing_bad_conversation_id_is_rejected(api, factory, body):
    agent = factory.agent()
    resp = api.post("/api/coaching/typing", user=agent, json=body)
    assert_error(resp, (400, 404))
