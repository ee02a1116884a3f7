"""Reads on a MariaDB replica (issue 13): with `scripts/stack.sh replica-up` the app reads the poll
route from a replica that follows the stack's database, while every write stays on the primary.
A replica that lags beyond `COACHING_DB_REPLICA_MAX_LAG_SECONDS` or stops answering is skipped,
so polls stay correct; health and metrics say which server answered."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import json_body, parse_env_file, stack_script, wait_until
from resilience import record
from test_observability import scrape, value
from test_pipeline import OBJECTION, fake_llm, pipeline, scene  # noqa: F401 (fixtures)

MAX_LAG_SECONDS = 4


@pytest.fixture(scope="module")
def replica(stack):
    stack_script(stack, "replica-up", env={"COACHING_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS)})
    runtime = Path(stack.env["COACHING_RUNTIME"])
    try:
        wait_until(lambda: health(stack)["replica"]["status"] == "ok", timeout=20, message="the replica to be used")
        yield runtime / "replica"
    finally:
        stack_script(stack, "replica-down")


def replica_sql(replica_dir, sql, user="root", password=None):
    command = ["mariadb", "--no-defaults", "--socket", str(replica_dir / "mysql.sock"), "-u" + user, "-N", "-e", sql]
    if password is not None:
        command.insert(4, "-p" + password)
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def health(stack):
    return requests.get(stack.base_url + "/coaching/health", timeout=10).json()


def polled_hint_ids(stack, agent, conversation):
    resp = requests.get(stack.base_url + "/api/coaching/hints/pending", timeout=10,
                        params={"conversation_id": conversation, "seconds": 600},
                        headers={"Authorization": "Bearer " + agent.token})
    return {hint["id"] for hint in json_body(resp)["hints"]}


def hint_for(pipeline, conversation, message):
    assert pipeline.post({"message_id": message, "conversation_id": conversation}).status_code in (200, 201, 202)
    assert pipeline.outcome(message) == "hint"
    return pipeline.hints_for(message)[0]["id"]


def test_polls_read_the_replica_and_writes_stay_on_the_primary(pipeline, factory, stack, api, replica):
    pipeline.configure("local")
    agent, conversation, message = scene(factory, content=OBJECTION)
    first = hint_for(pipeline, conversation, message)
    wait_until(lambda: first in polled_hint_ids(stack, agent, conversation), timeout=10,
               message="the hint to replicate and be polled")

    stopped = replica_sql(replica, "STOP SLAVE SQL_THREAD")
    assert stopped.returncode == 0, stopped.stderr
    stopped_at = time.monotonic()
    try:
        second_message = factory.message(conversation, content=OBJECTION, age_seconds=0)
        second = hint_for(pipeline, conversation, second_message)
        polled = polled_hint_ids(stack, agent, conversation)
        assert time.monotonic() - stopped_at < MAX_LAG_SECONDS - 0.5, "the hint came too late to test the replica read"
        assert first in polled and second not in polled, "the poll was answered by the paused replica"

        rated = requests.post(stack.base_url + "/api/coaching/hints/%d/feedback" % second, timeout=10,
                              json={"feedback": "helpful"}, headers={"Authorization": "Bearer " + agent.token})
        assert rated.status_code == 200, "a write goes to the primary while the replica is behind: %s" % rated.text

        wait_until(lambda: second in polled_hint_ids(stack, agent, conversation), timeout=MAX_LAG_SECONDS + 5,
                   message="polls to move to the primary once the replica is too far behind")
        fell_back_after = time.monotonic() - stopped_at
        report = health(stack)
        assert report["replica"]["status"] == "lagging" and "replica_lagging" in report["reasons"]
    finally:
        replica_sql(replica, "START SLAVE SQL_THREAD")
    wait_until(lambda: health(stack)["replica"]["status"] == "ok", timeout=15, message="the replica to catch up")
    samples = scrape(api)
    assert value(samples, "coaching_poll_reads_total", source="replica") > 0
    assert value(samples, "coaching_poll_reads_total", source="primary") > 0
    record("read_replica_lag_fallback", {"max_lag_seconds": MAX_LAG_SECONDS,
                                         "seconds_from_pause_to_primary_reads": round(fell_back_after, 2)})


def test_the_replica_account_cannot_write(stack, replica):
    password = parse_env_file(Path(stack.env["COACHING_RUNTIME"]) / "coaching.env")["COACHING_DB_PASSWORD"]
    read = replica_sql(replica, "SELECT COUNT(*) FROM coaching.coaching_workers", user="coaching", password=password)
    assert read.returncode == 0, read.stderr
    write = replica_sql(replica, "DELETE FROM coaching.coaching_workers", user="coaching", password=password)
    assert write.returncode != 0
    assert "read-only" in write.stderr or "denied" in write.stderr.lower(), write.stderr


def test_polls_go_to_the_primary_while_the_replica_is_down(pipeline, factory, stack, api, replica):
    pipeline.configure("local")
    agent, conversation, message = scene(factory, content=OBJECTION)
    pid = int((replica / "mariadb.pid").read_text())
    os.kill(pid, signal.SIGSTOP)  # a replica that no longer answers, connections left hanging
    os.kill(pid, signal.SIGKILL)
    try:
        wait_until(lambda: not Path("/proc/%d" % pid).exists(), timeout=10, message="the replica to stop")
        before = value(scrape(api), "coaching_poll_reads_total", source="primary")
        hint = hint_for(pipeline, conversation, message)
        assert hint in polled_hint_ids(stack, agent, conversation)
        assert value(scrape(api), "coaching_poll_reads_total", source="primary") > before
        report = health(stack)
        assert report["status"] == "degraded" and "replica_unreachable" in report["reasons"]
    finally:
        stack_script(stack, "replica-up", env={"COACHING_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS)})
    wait_until(lambda: health(stack)["replica"]["status"] == "ok", timeout=20, message="the replica to be used again")
    later = factory.message(conversation, content=OBJECTION, age_seconds=0)
    after_restart = hint_for(pipeline, conversation, later)
    wait_until(lambda: after_restart in polled_hint_ids(stack, agent, conversation), timeout=10,
               message="a hint written after the restart to reach the replica and be polled")
