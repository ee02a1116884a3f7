"""The settings admin page (/admin/settings/) in a real browser (Debian's chromium, driven by
Playwright) against the real stack: every field shown with its stored value, per-field errors from
the server, a save that reaches the database, the dry-run check, the write-only key, markup kept as
text, and the not-allowed states (SPEC §5, §7, §8)."""

import json
import uuid

import pytest

from conftest import SCREENSHOTS, json_body
from test_admin_settings import API_KEY_KEY, SETTINGS, rows, settings_rows  # noqa: F401 (fixture)

PAGE = "/admin/settings/"
READY = '#settings-main[data-state="ready"]'
HOSTILE = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def open_page(open_admin_page):
    return lambda user=None, locale="en-US": open_admin_page(PAGE, user, locale)


def field(page, path):
    return page.locator('[data-field="%s"]' % path)


def field_input(page, path):
    return field(page, path).locator("input, select").first


def wait_idle(page):
    page.wait_for_function("() => !document.getElementById('settings-main').hasAttribute('data-action')")


def test_every_setting_is_shown_with_its_value(open_page, api, admin, settings_rows):
    body = json_body(api.get(SETTINGS, user=admin))
    page = open_page(admin)
    page.wait_for_selector(READY, timeout=15000)
    assert "token=" not in page.url
    for section in ("realtime_coaching", "service"):
        for spec in body["schema"][section]:
            path = section + "." + spec["key"]
            assert field(page, path).count() == 1, path
            value = body["settings"][section][spec["key"]]
            if spec["type"] == "bool":
                assert field_input(page, path).is_checked() is value, path
            elif spec["type"] in ("integer", "number"):
                assert float(field_input(page, path).input_value()) == float(value), path
            elif spec["type"] in ("text", "url", "choice"):
                assert field_input(page, path).input_value() == value, path
    for hint_type, enabled in body["settings"]["realtime_coaching"]["hint_types"].items():
        assert page.locator('input[data-hint-type="%s"]' % hint_type).is_checked() is enabled
    status = page.locator('[data-testid="api-key-status"]')
    assert status.get_attribute("data-set") == ("true" if body["settings"]["api_key_set"] else "false")
    assert page.locator('[data-testid="api-key-input"]').input_value() == ""
    assert page.errors == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_errors_are_shown_per_field_and_nothing_is_saved(open_page, db, admin, settings_rows):
    before = rows(db)
    page = open_page(admin)
    page.wait_for_selector(READY, timeout=15000)
    field_input(page, "realtime_coaching.temperature").fill("1.5")
    field_input(page, "service.base_url").fill("ftp://example.com")
    field_input(page, "service.max_tokens").fill("3")
    page.click('[data-testid="save"]')
    page.wait_for_selector('[data-testid="save-error"]', state="visible", timeout=10000)
    wait_idle(page)
    errors = {
        "realtime_coaching.temperature": "must be between 0 and 1",
        "service.base_url": "must start with http:// or https://",
        "service.max_tokens": "must be between 16 and 4096",
    }
    for path, message in errors.items():
        line = field(page, path).locator('[data-testid="field-error"]')
        assert line.is_visible(), path
        assert line.inner_text() == message
        assert field_input(page, path).get_attribute("aria-invalid") == "true"
    listed = page.locator('[data-testid="save-error-list"] li').all_inner_texts()
    assert sorted(listed) == sorted("%s: %s" % item for item in errors.items())
    assert page.locator('[data-testid="save-done"]').get_attribute("data-result") == "error"
    assert field(page, "realtime_coaching.model").locator('[data-testid="field-error"]').is_hidden()
    assert rows(db) == before
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-settings-errors.png"), full_page=True)


def test_check_then_save_from_the_page(open_page, db, admin, settings_rows):
    before = rows(db)
    page = open_page(admin)
    page.wait_for_selector(READY, timeout=15000)
    field_input(page, "realtime_coaching.min_message_length").fill("17")
    field_input(page, "realtime_coaching.temperature").fill("0.3")
    page.uncheck('input[data-hint-type="escalation_needed"]')
    field_input(page, "service.language").select_option("en")
    page.click("#prices-add")
    row = page.locator("#prices-rows .prices__row").last
    row.locator(".prices__model").fill("my-model")
    row.locator('[data-part="input"]').fill("1.5")
    row.locator('[data-part="output"]').fill("6")

    page.click('[data-testid="check"]')
    page.wait_for_selector('[data-testid="save-done"][data-result="valid"]', timeout=10000)
    assert rows(db) == before, "checking writes nothing"

    # meanwhile the chat system's own settings page changes another key of the same row: the page
    # sends only what its admin changed, so that edit survives
    db.execute("UPDATE settings SET `value` = JSON_SET(`value`, '$.realtime_coaching.cache_ttl_minutes', 77)"
               " WHERE `key` = 'conversation_settings'")

    page.click('[data-testid="save"]')
    page.wait_for_selector('[data-testid="save-done"][data-result="saved"]', timeout=10000)
    assert page.locator('[data-testid="save-error"]').is_hidden()
    stored = rows(db)
    rc = json.loads(stored["conversation_settings"]["value"])["realtime_coaching"]
    assert rc["min_message_length"] == 17 and rc["temperature"] == 0.3
    assert rc["cache_ttl_minutes"] == 77
    assert field_input(page, "realtime_coaching.cache_ttl_minutes").input_value() == "77"
    assert rc["hint_types"]["escalation_needed"] is False and rc["hint_types"]["objection"] is True
    service = json.loads(stored["realtime_coaching_service"]["value"])
    assert service["language"] == "en"
    assert service["prices"] == {"my-model": {"input": 1.5, "output": 6}}
    # the page shows what was saved
    assert field_input(page, "realtime_coaching.min_message_length").input_value() == "17"
    assert page.errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-settings.png"), full_page=True)


def test_the_key_is_sent_but_never_shown(open_page, db, admin, settings_rows):
    secret = "sk-page-" + uuid.uuid4().hex
    page = open_page(admin)
    page.wait_for_selector(READY, timeout=15000)
    page.fill('[data-testid="api-key-input"]', secret)
    page.click('[data-testid="save"]')
    page.wait_for_selector('[data-testid="save-done"][data-result="saved"]', timeout=10000)
    assert rows(db)[API_KEY_KEY]["value"] == secret
    assert page.locator('[data-testid="api-key-status"]').get_attribute("data-set") == "true"
    assert page.locator('[data-testid="api-key-input"]').input_value() == ""
    page.reload()
    page.wait_for_selector(READY, timeout=15000)
    assert secret not in page.content()
    assert page.evaluate("(s) => JSON.stringify(window.settingsPage.data).includes(s)", secret) is False


def test_markup_in_a_stored_value_stays_text(open_page, api, admin, settings_rows):
    json_body(api.post(SETTINGS, user=admin, json={"realtime_coaching": {"model": HOSTILE}}))
    page = open_page(admin, locale="pt-BR")
    page.wait_for_selector(READY, timeout=15000)
    assert field_input(page, "realtime_coaching.model").input_value() == HOSTILE
    assert page.locator("#settings-form img").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    assert page.evaluate("document.documentElement.lang") == "pt-BR"
    assert page.errors == []


def test_an_agent_and_a_missing_session_are_told_why(open_page, factory):
    page = open_page(factory.agent())
    page.wait_for_selector('#settings-main[data-state="forbidden"]', timeout=15000)
    assert page.locator("#admin-alert").get_attribute("data-kind") == "forbidden"
    assert "admins and supervisors only" in page.locator("#admin-alert").inner_text()
    assert page.locator("#settings-form").is_hidden()
    page = open_page(None)
    page.wait_for_selector('#settings-main[data-state="unauthorized"]', timeout=15000)
    assert "token" in page.locator("#admin-alert").inner_text()


def test_hint_type_chips_show_the_services_labels(open_page, api, admin, settings_rows):
    catalog = json_body(api.get("/coaching/admin/hint-types", user=admin))["hint_types"]
    for locale, language in (("pt-BR", "pt"), ("en-US", "en")):
        page = open_page(admin, locale)
        page.wait_for_selector(READY, timeout=15000)
        for entry in catalog:
            chip = page.locator('span.type-chip[data-hint-type="%s"]' % entry["type"])
            assert chip.inner_text().strip() == entry["labels"][language], (locale, entry["type"])
        assert page.errors == []
