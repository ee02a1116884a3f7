"""A/B prompt experiments end to end: sticky assignment, recording, the comparison endpoint, admin
actions, business outcomes, template reloads and the CLI — all through the real stack with the fake
LLM, which prefixes each hint with the variant named in the prompt it received.

The test stack runs on its own copy of prompts/ (``$COACHING_RUNTIME/prompts``), which these tests
edit and restore.
"""

import hashlib
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import assert_error, json_body, wait_until
from test_pipeline import OBJECTION, Pipeline, fake_llm, pipeline, scene  # noqa: F401 (fixtures)

KEY = "coach-style"
VARIANTS = ("concise", "question_led")


@pytest.fixture
def prompts(stack):
    """The running app's prompts directory; every file a test changes is put back afterwards."""
    root = Path(stack.env["COACHING_RUNTIME"]) / "prompts"
    saved = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    yield root
    for path in root.rglob("*"):
        if path.is_file() and path not in saved:
            path.unlink()
    for path, content in saved.items():
        if path.read_bytes() != content:
            path.write_bytes(content)
    time.sleep(1.2)  # the app looks at the directory at most once a second


@pytest.fixture
def experiment(db):
    """Puts the experiment back to running (as its file says) after a test paused or concluded it."""
    yield
    db.execute("DELETE FROM coaching_experiments WHERE experiment_key = %s", (KEY,))
    time.sleep(2.2)  # experiment states are re-read at most every 2 s


@pytest.fixture
def admin(factory):
    return factory.user("admin")


def definition(prompts):
    return json.loads((prompts / "experiments" / (KEY + ".json")).read_text())


def expected_variant(spec, agent_id):
    """The assignment rule written independently of the service: SHA-256 of salt:key:agent, first
    8 bytes big-endian modulo 10,000, into the variants' cumulative shares of the 10,000 buckets."""
    digest = hashlib.sha256(("%s:%s:%d" % (spec.get("salt", spec["key"]), spec["key"], agent_id)).encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10000
    total = sum(v["weight"] for v in spec["variants"])
    upper = 0.0
    for variant in spec["variants"][:-1]:
        upper += variant["weight"] / total * 10000
        if bucket < round(upper):
            return variant["name"]
    return spec["variants"][-1]["name"]


def coached(pipeline, factory, agent=None, content=OBJECTION):
    """One customer message queued as the original listener does; returns (agent, conversation, hint row)."""
    agent = agent or factory.agent()
    conversation = factory.conversation(agent.id)
    message = factory.message(conversation, content=content, age_seconds=0)
    pipeline.listener_insert(message, conversation, agent.id)
    assert pipeline.outcome(message) in ("hint", "cached")
    return agent, conversation, pipeline.hints_for(message)[0]


def assignment(db, agent_id):
    return db.scalar(
        "SELECT variant FROM coaching_experiment_assignments WHERE experiment_key = %s AND agent_id = %s", (KEY, agent_id)
    )


def comparison(api, admin):
    return json_body(api.get("/coaching/admin/experiments/" + KEY, user=admin))


def variant_of(report, name):
    return next(v for v in report["variants"] if v["name"] == name)


# --------------------------------------------------------------------------- assignment and recording


def test_every_hint_records_the_agents_sticky_variant_and_its_template(pipeline, factory, db, prompts):
    pipeline.configure("openai")
    spec = definition(prompts)
    seen = set()
    for _ in range(6):
        agent, _, hint = coached(pipeline, factory)
        variant = assignment(db, agent.id)
        assert variant == expected_variant(spec, agent.id), "another implementation computes the same assignment"
        assert hint["experiment_key"] == KEY and hint["variant"] == variant
        assert hint["template_hash"] and len(hint["template_hash"]) == 16
        assert hint["hint_text"].startswith("[%s] " % variant), "the variant's own template reached the model"
        call = db.one("SELECT variant, experiment_key FROM coaching_llm_calls WHERE queue_id = %s", (hint["queue_id"],))
        assert call == {"variant": variant, "experiment_key": KEY}
        _, _, again = coached(pipeline, factory, agent=agent, content=OBJECTION + " De novo.")
        assert again["variant"] == variant
        seen.add(variant)
    assert seen, "six agents were assigned"


def test_a_weight_change_never_moves_an_assigned_agent(pipeline, factory, db, prompts):
    pipeline.configure("openai")
    agent, _, first = coached(pipeline, factory)
    other = "question_led" if first["variant"] == "concise" else "concise"
    spec = definition(prompts)
    for variant in spec["variants"]:
        variant["weight"] = 1000 if variant["name"] == other else 1
    (prompts / "experiments" / (KEY + ".json")).write_text(json.dumps(spec))
    time.sleep(1.5)
    _, _, later = coached(pipeline, factory, agent=agent, content=OBJECTION + " Ainda acho caro.")
    assert later["variant"] == first["variant"]
    assert assignment(db, agent.id) == first["variant"]
    newcomers = [coached(pipeline, factory)[2]["variant"] for _ in range(3)]
    assert newcomers.count(other) >= 2, "new agents follow the new weights (1000:1)"


def test_the_cache_never_serves_one_variants_answer_to_another(pipeline, factory, db, prompts):
    # Exact matches only: the shared text below is new, so only a cross-variant entry could answer it.
    pipeline.configure("openai", realtime={"use_cache": True, "cache_similarity_threshold": 1.0})
    by_variant = {}
    while len(by_variant) < 2:
        agent, _, hint = coached(pipeline, factory, content=OBJECTION + " Cache %s." % uuid.uuid4().hex[:8])
        by_variant.setdefault(hint["variant"], agent)
    text = OBJECTION + " Mesmo texto para os dois, pedido %s." % uuid.uuid4().hex[:8]
    for variant, agent in sorted(by_variant.items()):
        _, _, hint = coached(pipeline, factory, agent=agent, content=text)
        assert hint["source"] == "llm" and hint["hint_text"].startswith("[%s] " % variant)
    for variant, agent in sorted(by_variant.items()):
        _, _, hint = coached(pipeline, factory, agent=agent, content=text)
        assert hint["source"] == "cache" and hint["variant"] == variant
        assert hint["hint_text"].startswith("[%s] " % variant)


# --------------------------------------------------------------------------- comparison


def sql_counts(db, variant):
    return db.one(
        "SELECT COUNT(*) AS hints, SUM(feedback IN ('helpful','not_helpful')) AS rated,"
        " SUM(feedback = 'helpful') AS helpful, SUM(viewed_at IS NOT NULL) AS viewed"
        " FROM realtime_coaching_hints WHERE experiment_key = %s AND variant = %s",
        (KEY, variant),
    )


def test_agents_feedback_moves_the_comparison_exactly_as_the_database_says(pipeline, factory, db, api, admin):
    pipeline.configure("openai")
    hints = [coached(pipeline, factory) for _ in range(4)]
    # Assignment is random: go on until both variants have a hint to rate (1 in 8 runs needs more).
    while {h["variant"] for _, _, h in hints} != set(VARIANTS) and len(hints) < 16:
        hints.append(coached(pipeline, factory))
    assert {h["variant"] for _, _, h in hints} == set(VARIANTS)
    before = comparison(api, admin)
    for index, (agent, _, hint) in enumerate(hints):
        verdict = "helpful" if index % 2 == 0 else "not_helpful"
        json_body(api.post("/api/coaching/hints/%d/feedback" % hint["id"], user=agent, json={"feedback": verdict}))
        json_body(api.post("/api/coaching/hints/%d/use-suggestion" % hint["id"], user=agent, json={"suggestion_index": 0}))
    after = comparison(api, admin)
    for name in VARIANTS:
        counts = sql_counts(db, name)
        shown = variant_of(after, name)
        assert shown["hints"] == counts["hints"]
        assert shown["helpful"]["rated"] == int(counts["rated"] or 0)
        assert shown["helpful"]["helpful"] == int(counts["helpful"] or 0)
        assert shown["view_rate"] == pytest.approx(int(counts["viewed"] or 0) / counts["hints"], abs=1e-6)
        rated_now = shown["helpful"]["rated"] - variant_of(before, name)["helpful"]["rated"]
        ours = [h for i, (_, _, h) in enumerate(hints) if h["variant"] == name]
        assert rated_now == len(ours)
        if shown["helpful"]["rated"]:
            assert shown["helpful"]["rate"] == pytest.approx(shown["helpful"]["helpful"] / shown["helpful"]["rated"], abs=1e-6)
        agents = db.scalar(
            "SELECT COUNT(*) FROM coaching_experiment_assignments WHERE experiment_key = %s AND variant = %s", (KEY, name)
        )
        assert shown["agents"] == agents
    probabilities = [v["prob_best"] for v in after["variants"]]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-3)
    assert after["verdict"]["winner"] is None and after["verdict"]["reasons"]
    assert after["srm"] is not None and 0 <= after["srm"]["p_value"] <= 1


def test_outcomes_are_recorded_and_counted_as_conversion(pipeline, factory, db, api, admin):
    pipeline.configure("openai")
    _, conversation, hint = coached(pipeline, factory)
    service = pipeline.service_token
    name = hint["variant"]
    before = variant_of(comparison(api, admin), name)["outcomes"]
    body = json_body(api.post("/coaching/outcomes", user=service, json={"conversation_id": conversation, "outcome": "won", "value": 1250.5}))
    assert body == {"success": True, "conversation_id": conversation, "outcome": "won"}
    row = db.one("SELECT outcome, value, source FROM coaching_conversation_outcomes WHERE conversation_id = %s", (conversation,))
    assert row["outcome"] == "won" and float(row["value"]) == 1250.5 and row["source"] == "api"
    after = variant_of(comparison(api, admin), name)["outcomes"]
    assert after["won"] == before["won"] + 1
    assert after["with_outcome"] == before["with_outcome"] + 1
    # A conversation nobody reports on counts by its own status.
    _, closed, other = coached(pipeline, factory)
    lost_before = variant_of(comparison(api, admin), other["variant"])["outcomes"]["lost"]
    db.execute("UPDATE conversations SET status = 'lost' WHERE id = %s", (closed,))
    assert variant_of(comparison(api, admin), other["variant"])["outcomes"]["lost"] == lost_before + 1

    assert_error(api.post("/coaching/outcomes", user=service, json={"conversation_id": conversation, "outcome": "maybe"}), 400)
    assert_error(api.post("/coaching/outcomes", user=service, json={"conversation_id": 2147480000, "outcome": "won"}), 404)
    assert_error(api.post("/coaching/outcomes", user=service, json={"conversation_id": conversation, "outcome": "won", "value": -1}), 400)
    agent = factory.agent()
    assert_error(api.post("/coaching/outcomes", user=agent, json={"conversation_id": conversation, "outcome": "won"}), 403)


# --------------------------------------------------------------------------- admin actions and access


def test_only_staff_read_experiments_and_only_admins_change_them(factory, api, admin):
    agent = factory.agent()
    supervisor = factory.user("supervisor")
    assert_error(api.get("/coaching/admin/experiments", user=agent), 403)
    assert_error(api.get("/coaching/admin/experiments/" + KEY, user=agent), 403)
    assert_error(api.post("/coaching/admin/experiments/%s/pause" % KEY, user=agent, json={}), 403)
    assert_error(api.get("/coaching/admin/experiments"), 401)
    listing = json_body(api.get("/coaching/admin/experiments", user=supervisor))
    assert [e["key"] for e in listing["experiments"]] == [KEY]
    assert [v["name"] for v in listing["experiments"][0]["variants"]] == list(VARIANTS)
    assert_error(api.post("/coaching/admin/experiments/%s/pause" % KEY, user=supervisor, json={}), 403)
    assert_error(api.get("/coaching/admin/experiments/no-such-thing", user=admin), 404)
    assert_error(api.get("/coaching/admin/experiments/Bad%20Key", user=admin), 400)
    assert_error(api.get("/coaching/admin/experiments/%s?since=yesterday" % KEY, user=admin), 400)


def test_pause_serves_the_control_and_conclude_serves_the_winner_to_everyone(pipeline, factory, db, api, admin, experiment):
    pipeline.configure("openai")
    agents = {}
    while len(agents) < 2:
        agent, _, hint = coached(pipeline, factory)
        agents.setdefault(hint["variant"], agent)

    paused = json_body(api.post("/coaching/admin/experiments/%s/pause" % KEY, user=admin, json={}))
    assert paused["experiment"]["status"] == "paused"
    time.sleep(2.2)
    for agent in agents.values():
        _, _, hint = coached(pipeline, factory, agent=agent, content=OBJECTION + " Pausado.")
        assert hint["experiment_key"] is None and hint["variant"] == "concise"
        assert hint["hint_text"].startswith("[concise] ")

    assert json_body(api.post("/coaching/admin/experiments/%s/resume" % KEY, user=admin, json={}))["experiment"]["status"] == "running"
    assert_error(api.post("/coaching/admin/experiments/%s/conclude" % KEY, user=admin, json={"winner": "nope"}), 400)
    assert_error(api.post("/coaching/admin/experiments/%s/conclude" % KEY, user=admin, json={}), 400)
    done = json_body(api.post("/coaching/admin/experiments/%s/conclude" % KEY, user=admin, json={"winner": "question_led"}))
    assert done["experiment"]["status"] == "concluded" and done["experiment"]["winner"] == "question_led"
    assert_error(api.post("/coaching/admin/experiments/%s/resume" % KEY, user=admin, json={}), 400)
    time.sleep(2.2)
    for agent in agents.values():
        _, _, hint = coached(pipeline, factory, agent=agent, content=OBJECTION + " Concluído.")
        assert hint["variant"] == "question_led" and hint["experiment_key"] is None
        assert hint["hint_text"].startswith("[question_led] ")


# --------------------------------------------------------------------------- prompts directory


def test_a_broken_template_is_rejected_and_the_previous_version_keeps_serving(pipeline, factory, stack, prompts):
    pipeline.configure("openai")
    log = Path(stack.env["COACHING_RUNTIME"]) / "app.log"
    offset = log.stat().st_size
    broken = prompts / "question_led.system.mustache"
    broken.write_text("line one\nline two closes {{/hint_types}} what never opened\nline three\n")
    time.sleep(1.2)
    variants = set()
    for _ in range(6):
        _, _, hint = coached(pipeline, factory)
        assert hint["hint_text"].startswith("[%s] " % hint["variant"])
        variants.add(hint["variant"])
    wait_until(lambda: "question_led.system.mustache:2:" in log.read_text(errors="replace")[offset:], timeout=10,
               message="the reload error naming the file and line")


# --------------------------------------------------------------------------- CLI


def cli(stack, *args):
    env = dict(os.environ)
    env["COACHING_ENV_FILE"] = str(Path(stack.env["COACHING_RUNTIME"]) / "coaching.env")
    done = subprocess.run([str(stack.binary), "experiments", *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_cli_report_matches_the_endpoint_in_every_format(pipeline, factory, stack, api, admin):
    pipeline.configure("openai")
    coached(pipeline, factory)
    endpoint = comparison(api, admin)
    report = json.loads(cli(stack, "report", KEY, "--format", "json").stdout)
    for name in VARIANTS:
        assert variant_of(report, name)["hints"] == variant_of(endpoint, name)["hints"]
        assert variant_of(report, name)["helpful"] == variant_of(endpoint, name)["helpful"]
    lines = cli(stack, "report", KEY, "--format", "csv").stdout.strip().splitlines()
    assert lines[0].startswith("experiment,variant,is_control,agents,hints")
    assert [line.split(",")[1] for line in lines[1:]] == list(VARIANTS)
    table = cli(stack, "report", KEY).stdout
    assert "helpful rate" in table and "concise (control)" in table and "question_led" in table


def test_cli_replay_runs_past_conversations_through_every_variant(pipeline, stack, tmp_path, fake_llm):
    pipeline.configure("openai")
    fake_llm.scenario(variant_types={"concise": "objection", "question_led": None})
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(json.dumps({"id": i, "messages": [
        {"from": "customer", "text": OBJECTION},
        {"from": "agent", "text": "Entendo, posso explicar o que está incluído."},
        {"from": "customer", "text": "Mesmo assim, o concorrente é mais barato."},
    ]}) for i in range(3)) + "\n")
    done = cli(stack, "replay", KEY, "--conversations", str(history), "--format", "json")
    result = {v["variant"]: v for v in json.loads(done.stdout)["variants"]}
    assert set(result) == set(VARIANTS)
    for name in VARIANTS:
        assert result[name]["analyses"] == 6 and result[name]["errors"] == 0
        assert result[name]["prompt_tokens"] > 0
    assert result["concise"]["hints"] == 6 and result["concise"]["types"] == {"objection": 6}
    assert "100%" in done.stderr, "a progress indicator on stderr"
