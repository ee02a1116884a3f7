"""The seed's legacy routes: /coaching/pending-hints, /coaching/mark-viewed, /coaching/feedback."""

import time

import pytest

from conftest import (
    assert_error,
    assert_hint_shape,
    assert_timestamp,
    db_timestamp,
    ids,
    json_body,
)


def test_pending_hints_route_matches_api_route(api, factory, coaching_enabled):
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    msg = factory.message(conv)
    created = [factory.hint(conv, agent.id, message_id=msg, age_seconds=age) for age in (1, 4, 8)]
    query = {"conversation_id": conv, "seconds": 60}
    legacy = json_body(api.get("/coaching/pending-hints", user=agent, params=query))
    modern = json_body(api.get("/api/coaching/hints/pending", user=agent, params=query))
    assert legacy["success"] is True and legacy["enabled"] is True
    assert ids(legacy["hints"]) == created
    for hint in legacy["hints"]:
        assert_hint_shape(hint, pending=True)
    assert legacy["hints"] == modern["hints"]


def test_pending_hints_route_seed_polling_request(api, factory, coaching_enabled):
    """The seed's poller asks for the last 10 seconds."""
    agent = factory.agent()
    conv = factory.conversation(agent.id)
    recent = factory.hint(conv, agent.id, age_seconds=2)
    factory.hint(conv, agent.id, age_seconds=25)
    body = json_body(api.get("/coaching/pending-hints?conversation_id=%d&seconds=10" % conv, user=agent))
    assert ids(body["hints"]) == [recent]


# ---------------------------------------------------------------------------
# mark-viewed
# ---------------------------------------------------------------------------


def test_mark_viewed_sets_viewed_at(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    body = json_body(api.post("/coaching/mark-viewed", user=agent, json={"hint_id": hint}))
    assert body["success"] is True
    stored = factory.hint_row(hint)["viewed_at"]
    assert stored is not None
    if "viewed_at" in body:
        assert_timestamp(body["viewed_at"])
        assert body["viewed_at"] == db_timestamp(stored)
    assert len(factory.events(hint, "viewed")) == 1


def test_mark_viewed_is_idempotent_and_shared_with_view(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    first = json_body(api.post("/api/coaching/hints/%d/view" % hint, user=agent, json={}))
    stored = factory.hint_row(hint)["viewed_at"]
    time.sleep(1.2)
    body = json_body(api.post("/coaching/mark-viewed", user=agent, json={"hint_id": hint}))
    assert body["success"] is True
    if "viewed_at" in body:
        assert body["viewed_at"] == first["viewed_at"]
    assert factory.hint_row(hint)["viewed_at"] == stored
    assert len(factory.events(hint, "viewed")) == 1


def test_mark_viewed_accepts_form_body(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    body = json_body(api.post("/coaching/mark-viewed", user=agent, data={"hint_id": str(hint)}))
    assert body["success"] is True
    assert factory.hint_row(hint)["viewed_at"] is not None


@pytest.mark.parametrize(
    "body",
    [{}, {"hint_id": None}, {"hint_id": "abc"}, {"hint_id": 0}, {"hint_id": -3}, {"hint_id": [1]}, {"hint_id": 1.5}],
    ids=["missing", "null", "word", "zero", "negative", "array", "fraction"],
)
def test_mark_viewed_bad_hint_id_is_rejected(api, factory, body):
    agent = factory.agent()
    assert_error(api.post("/coaching/mark-viewed", user=agent, json=body), (400, 404))


# ---------------------------------------------------------------------------
# feedback
# ---------------------------------------------------------------------------


def test_legacy_feedback_with_helpful_boolean(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    body = json_body(api.post("/coaching/feedback", user=agent, json={"hint_id": hint, "helpful": True}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "helpful"
    body = json_body(api.post("/coaching/feedback", user=agent, json={"hint_id": hint, "helpful": False}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "not_helpful"
    assert len(factory.events(hint, "feedback")) >= 1


def test_legacy_feedback_with_feedback_string(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    body = json_body(api.post("/coaching/feedback", user=agent, json={"hint_id": hint, "feedback": "not_helpful"}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "not_helpful"
    body = json_body(api.post("/coaching/feedback", user=agent, json={"hint_id": hint, "feedback": "helpful"}))
    assert body["success"] is True
    assert factory.hint_row(hint)["feedback"] == "helpful"


def test_legacy_feedback_accepts_form_body(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    resp = api.post("/coaching/feedback", user=agent, data={"hint_id": str(hint), "feedback": "helpful"})
    assert json_body(resp)["success"] is True
    assert factory.hint_row(hint)["feedback"] == "helpful"


def test_legacy_and_new_feedback_last_write_wins(api, factory):
    agent, _conv, _msg, hint = factory.scene()
    json_body(api.post("/api/coaching/hints/%d/feedback" % hint, user=agent, json={"feedback": "helpful"}))
    json_body(api.post("/coaching/feedback", user=agent, json={"hint_id": hint, "helpful": False}))
    assert factory.hint_row(hint)["feedback"] == "not_helpful"
    json_body(api.post("/api/coaching/hints/%d/feedback" % hint, user=agent, json={"feedback": "helpful"}))
    assert factory.hint_row(hint)["feedback"] == "helpful"


@pytest.mark.parametrize(
    "extra",
    [
        {"feedback": "great"},
        {"feedback": ""},
        {"helpful": "maybe"},
        {"helpful": None},
        {"helpful": [True]},
        {},
    ],
    ids=["word", "empty", "helpful-word", "helpful-null", "helpful-array", "neither"],
)
def test_legacy_feedback_invalid_value_is_400(api, factory, extra):
    agent, _conv, _msg, hint = factory.scene()
    body = {"hint_id": hint}
    body.update(extra)
    assert_error(api.post("/coaching/feedback", user=agent, json=body), 400, "bad_request")
    assert factory.hint_row(hint)["feedback"] is None


@pytest.mark.parametrize(
    "body",
    [{"helpful": True}, {"hint_id": "abc", "helpful": True}, {"hint_id": 0, "helpful": True}],
    ids=["missing", "word", "zero"],
)
def test_legacy_feedback_bad_hint_id_is_rejected(api, factory, body):
    agent = factory.agent()
    assert_error(api.post("/coaching/feedback", user=agent, json=body), (400, 404))
