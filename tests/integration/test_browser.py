"""The agent's screen in a real browser (Debian's chromium, driven by Playwright): hint cards arrive by
push or, with push down, by polling; suggestions, ratings and close are recorded; text stays text;
one agent never sees another's hints; cards close themselves."""

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import SCREENSHOTS
from test_pipeline import OBJECTION, fake_llm, pipeline, scene  # noqa: F401




@pytest.fixture
def console(browser, stack):
    pages = []

    def open_console(agent, block_push=False, conversation=None):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "coaching_token", "value": agent.token, "url": stack.base_url}])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        if block_push:
            page.route("**/coaching/events*", lambda route: route.abort())
        page.goto(stack.base_url + "/console/")
        page.wait_for_selector('[data-testid="conversation-item"]', timeout=15000)
        if conversation is not None:
            page.click('[data-testid="conversation-item"][data-conversation-id="%d"]' % conversation)
        pages.append(context)
        return page

    yield open_console
    for context in pages:
        context.close()


def wait_for_mode(page, mode):
    page.wait_for_function("window.realtimeCoaching && window.realtimeCoaching.mode === '%s'" % mode, timeout=15000)


def card_for(page, hint_id, timeout=20000):
    return page.wait_for_selector('[data-testid="hint-card"][data-hint-id="%d"]' % hint_id, timeout=timeout)


def wait_for_hint_row(pipeline, message, timeout=20):
    assert pipeline.outcome(message, timeout=timeout) == "hint"
    return pipeline.hints_for(message)[0]


def test_a_customer_message_becomes_a_card_by_push(pipeline, factory, console):
    pipeline.configure("local", realtime={"hint_display_duration": 0})
    agent, conversation, message = scene(factory)
    page = console(agent, conversation=conversation)
    wait_for_mode(page, 'push')
    pipeline.listener_insert(message, conversation, agent.id)
    hint = wait_for_hint_row(pipeline, message)
    card = card_for(page, hint["id"])
    assert card.get_attribute("data-hint-type") == "objection"
    assert card.query_selector('[data-testid="hint-label"]').inner_text().strip() in ("Objeção", "Objection")
    suggestions = [b.inner_text().strip() for b in card.query_selector_all('[data-testid="hint-suggestion"]')]
    assert suggestions == json.loads(hint["suggestions"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-hint-card.png"))
    assert page.errors == []


def test_with_push_down_the_card_still_arrives_by_polling(pipeline, factory, console):
    pipeline.configure("local", realtime={"hint_display_duration": 0})
    agent, conversation, message = scene(factory)
    page = console(agent, block_push=True, conversation=conversation)
    wait_for_mode(page, 'polling')
    pipeline.listener_insert(message, conversation, agent.id)
    hint = wait_for_hint_row(pipeline, message)
    card_for(page, hint["id"], timeout=20000)


def test_suggestion_rating_and_close_are_recorded(pipeline, factory, console):
    pipeline.configure("local", realtime={"hint_display_duration": 0})
    agent, conversation, message = scene(factory)
    page = console(agent, conversation=conversation)
    wait_for_mode(page, 'push')
    pipeline.listener_insert(message, conversation, agent.id)
    hint = wait_for_hint_row(pipeline, message)
    card = card_for(page, hint["id"])
    first = card.query_selector('[data-testid="hint-suggestion"]')
    text = first.inner_text().strip()
    first.click()
    assert page.input_value('[data-testid="composer"]') == text

    def event(kind):
        return pipeline.db.query("SELECT * FROM coaching_hint_events WHERE hint_id = %s AND event = %s",
                                 (hint["id"], kind))

    deadline = time.time() + 10
    while time.time() < deadline and not event("suggestion_used"):
        time.sleep(0.2)
    used = event("suggestion_used")
    assert len(used) == 1 and json.loads(used[0]["detail"])["index"] == 0
    card.query_selector('[data-testid="hint-helpful"]').click()
    deadline = time.time() + 10
    while time.time() < deadline and pipeline.hints_for(message)[0]["feedback"] is None:
        time.sleep(0.2)
    assert pipeline.hints_for(message)[0]["feedback"] == "helpful"
    card.query_selector('[data-testid="hint-close"]').click()
    page.wait_for_selector('[data-testid="hint-card"][data-hint-id="%d"]' % hint["id"], state="detached", timeout=10000)
    assert pipeline.hints_for(message)[0]["viewed_at"] is not None


def test_markup_in_hints_renders_as_inert_text(pipeline, factory, console):
    pipeline.configure("local", realtime={"hint_display_duration": 0})
    agent = factory.agent()
    conversation = factory.conversation(agent.id)
    message = factory.message(conversation, content="Preço?", age_seconds=0)
    hostile = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>"
    page = console(agent, block_push=True, conversation=conversation)
    hint_id = factory.hint(conversation, agent.id, message_id=message, hint_text="Cuidado " + hostile,
                           suggestions=[hostile, "<b>negrito</b>"])
    card = card_for(page, hint_id)
    assert hostile in card.query_selector('[data-testid="hint-text"]').inner_text()
    assert card.query_selector("img") is None and card.query_selector("script") is None
    assert card.query_selector("b") is None
    assert [b.inner_text() for b in card.query_selector_all('[data-testid="hint-suggestion"]')] == [hostile, "<b>negrito</b>"]
    assert page.evaluate("window.__pwned === undefined")


def test_agent_b_never_sees_agent_a_hints(pipeline, factory, console):
    pipeline.configure("local", realtime={"hint_display_duration": 0})
    agent_a, conversation_a, message_a = scene(factory)
    agent_b, conversation_b, _ = scene(factory)
    page_b = console(agent_b, conversation=conversation_b)
    wait_for_mode(page_b, 'push')
    page_a = console(agent_a, conversation=conversation_a)
    wait_for_mode(page_a, 'push')
    pipeline.listener_insert(message_a, conversation_a, agent_a.id)
    hint = wait_for_hint_row(pipeline, message_a)
    card_for(page_a, hint["id"])
    time.sleep(6)  # more than one polling period
    assert page_b.query_selector('[data-testid="hint-card"]') is None


def test_cards_close_themselves_after_the_display_duration(pipeline, factory, console):
    pipeline.configure("local", realtime={"hint_display_duration": 2})
    agent, conversation, message = scene(factory)
    page = console(agent, conversation=conversation)
    wait_for_mode(page, 'push')
    pipeline.listener_insert(message, conversation, agent.id)
    hint = wait_for_hint_row(pipeline, message)
    card_for(page, hint["id"])
    started = time.time()
    page.wait_for_selector('[data-testid="hint-card"][data-hint-id="%d"]' % hint["id"], state="detached", timeout=10000)
    assert time.time() - started >= 1.0
    deadline = time.time() + 5
    while time.time() < deadline and pipeline.hints_for(message)[0]["viewed_at"] is None:
        time.sleep(0.2)
    assert pipeline.hints_for(message)[0]["viewed_at"] is not None
