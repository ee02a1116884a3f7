"""Settings: the `conversation_settings` row drives the routes; secrets never leave (SPEC §3, §5, §7.1)."""

import json
import time

from conftest import HINT_TYPES, assert_error, json_body

DISABLED = {"success": True, "enabled": False, "hints": []}


def test_settings_shape_when_enabled(api, factory, coaching):
    coaching.enable(model="gpt-4o-mini", min_message_length=12)
    agent = factory.agent()
    body = json_body(api.get("/api/coaching/settings", user=agent))
    assert body["success"] is True
    settings = body["settings"]
    assert isinstance(settings, dict)
    assert settings["enabled"] is True
    assert body["coaching_enabled"] is True
    if "enabled" in body:
        assert body["enabled"] is True
    assert settings["model"] == "gpt-4o-mini"
    assert settings["min_message_length"] == 12


def test_settings_shape_when_disabled(api, factory, coaching_disabled):
    agent = factory.agent()
    body = json_body(api.get("/api/coaching/settings", user=agent))
    assert body["success"] is True
    assert body["settings"]["enabled"] is False
    assert body["coaching_enabled"] is False
    if "enabled" in body:
        assert body["enabled"] is False


def test_settings_default_to_disabled_without_the_row(api, factory, coaching):
    coaching.delete_row()
    agent = factory.agent()
    body = json_body(api.get("/api/coaching/settings", user=agent))
    assert body["coaching_enabled"] is False
    assert body["settings"]["enabled"] is False
    for route in ("/api/coaching/hints/pending", "/api/coaching/hints/pending?conversation_id=1"):
        assert json_body(api.get(route, user=agent)) == DISABLED


def test_settings_report_the_original_defaults(api, factory, coaching):
    coaching.delete_row()
    agent = factory.agent()
    settings = json_body(api.get("/api/coaching/settings", user=agent))["settings"]
    expected = {
        "enabled": False,
        "model": "gpt-3.5-turbo",
        "temperature": 0.5,
        "max_analyses_per_minute": 10,
        "min_interval_between_analyses": 10,
        "use_queue": True,
        "queue_processing_delay": 3,
        "max_queue_size": 100,
        "analyze_only_client_messages": True,
        "min_message_length": 10,
        "skip_if_agent_typing": True,
        "use_cache": True,
        "cache_ttl_minutes": 60,
        "cache_similarity_threshold": 0.85,
        "cost_limit_per_hour": 1.0,
        "cost_limit_per_day": 10.0,
        "auto_show_hint": True,
        "hint_display_duration": 30,
        "play_sound": False,
    }
    wrong = {k: settings.get(k, "<absent>") for k, v in expected.items() if settings.get(k, "<absent>") != v}
    assert not wrong, "differs from the original defaults: %s" % wrong
    assert isinstance(settings["hint_types"], dict)
    assert set(settings["hint_types"]) == set(HINT_TYPES)
    assert all(isinstance(v, bool) for v in settings["hint_types"].values())


def test_settings_row_without_realtime_key_means_disabled(api, factory, coaching):
    coaching.set_blob({"auto_assign": True, "sla_minutes": 15}, expect_enabled=False)
    agent = factory.agent()
    assert json_body(api.get("/api/coaching/settings", user=agent))["coaching_enabled"] is False
    assert json_body(api.get("/api/coaching/hints/pending", user=agent)) == DISABLED


def test_settings_never_expose_an_api_key(api, factory, coaching):
    secret = "sk-secret"
    coaching.enable(
        openai_api_key=secret,
        api_key=secret,
        extra_top={"openai_api_key": secret, "integrations": {"openai_api_key": secret, "key": secret}},
    )
    agent, conv, _msg, _hint = factory.scene()
    admin = factory.user("admin")
    for user in (agent, admin):
        resp = api.get("/api/coaching/settings", user=user)
        body = json_body(resp)
        assert body["coaching_enabled"] is True
        assert secret not in resp.text
        assert secret not in json.dumps(body)
    for resp in (
        api.get("/api/coaching/hints/pending?conversation_id=%d" % conv, user=agent),
        api.get("/api/coaching/hints/conversation/%d" % conv, user=agent),
        api.get("/coaching/pending-hints?conversation_id=%d&seconds=10" % conv, user=agent),
        api.get("/coaching/stats", user=agent),
        api.get("/coaching/health"),
    ):
        assert resp.status_code == 200, resp.text
        assert secret not in resp.text


def test_disabled_coaching_pending_routes_answer_enabled_false(api, factory, coaching_disabled):
    agent, conv, _msg, _hint = factory.scene()
    for route in (
        "/api/coaching/hints/pending?conversation_id=%d" % conv,
        "/api/coaching/hints/pending?conversation_id=%d&seconds=3600" % conv,
        "/api/coaching/hints/pending",
        "/coaching/pending-hints?conversation_id=%d&seconds=10" % conv,
        "/coaching/pending-hints?conversation_id=%d" % conv,
    ):
        resp = api.get(route, user=agent)
        assert json_body(resp) == DISABLED, route


def test_disabled_coaching_still_requires_a_token(api, coaching_disabled):
    assert_error(api.get("/api/coaching/hints/pending"), 401, "unauthorized")
    assert_error(api.get("/coaching/pending-hints?conversation_id=1"), 401, "unauthorized")


def test_settings_change_is_seen_within_two_seconds(api, factory, coaching):
    coaching.enable()
    blob = coaching.current_blob()
    blob["realtime_coaching"]["enabled"] = False
    started = time.monotonic()
    assert coaching.write_value(json.dumps(blob))
    try:
        while coaching.observed_enabled() is not False:
            assert time.monotonic() - started < 2.5, "still enabled 2.5 s after the change"
            time.sleep(0.05)
    finally:
        time.sleep(1.3)  # let every cached copy settle before the next test


def test_broken_settings_row_is_not_a_server_error(api, factory, coaching):
    coaching.disable()
    coaching.write_value("{this is not json")
    time.sleep(1.3)
    agent = factory.agent()
    resp = api.get("/api/coaching/settings", user=agent)
    assert resp.status_code == 200, resp.text
    assert resp.json()["coaching_enabled"] is False
    assert json_body(api.get("/api/coaching/hints/pending", user=agent)) == DISABLED
