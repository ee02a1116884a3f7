"""Shared checks for the fault and scale-out suites: the SPEC §4.2/§11 invariants read from MariaDB,
and the figures of each run written to .runtime/resilience/<name>.json (RESILIENCE.md quotes them).
"""

import json
import threading
import time
import uuid
from collections import Counter

import requests

from conftest import REPO_ROOT, wait_until
from test_pipeline_invariants import FINAL_OUTCOMES

RESULTS = REPO_ROOT / ".runtime" / "resilience"


def marks(values):
    return ", ".join(["%s"] * len(values))


def customer_messages_tagged(db, tag):
    """Every customer message whose text carries ``tag``: accepted or not, if it was stored it counts."""
    rows = db.query("SELECT id FROM messages WHERE sender_type = 'contact' AND content LIKE %s", ("%" + tag + "%",))
    return [r["id"] for r in rows]


def wait_for_outcomes(db, message_ids, timeout=240):
    def done():
        pending = db.scalar("SELECT COUNT(*) FROM coaching_queue WHERE message_id IN (%s) AND outcome IS NULL"
                            % marks(message_ids), tuple(message_ids))
        queued = db.scalar("SELECT COUNT(DISTINCT message_id) FROM coaching_queue WHERE message_id IN (%s)"
                           % marks(message_ids), tuple(message_ids))
        return pending == 0 and queued == len(message_ids)

    wait_until(done, timeout=timeout, interval=1, message="every message to reach its outcome")


def audit(db, message_ids):
    """Figures of a run, and the invariants they must satisfy (asserted here).

    Every message has exactly one final outcome (rows marked ``duplicate`` are the other doors'
    copies of a message already queued); no message has two hints; no queued analysis was answered
    by the model twice."""
    assert message_ids, "the run produced no messages"
    rows = db.query("SELECT id, message_id, outcome, locked_by FROM coaching_queue WHERE message_id IN (%s)"
                    % marks(message_ids), tuple(message_ids))
    finals = {}
    for row in rows:
        if row["outcome"] != "duplicate":
            finals.setdefault(row["message_id"], []).append(row)
    without = [m for m in message_ids if m not in finals]
    several = {m: [r["outcome"] for r in finals[m]] for m in finals if len(finals[m]) != 1}
    unknown = sorted({r["outcome"] for rs in finals.values() for r in rs} - FINAL_OUTCOMES)
    hint_rows = db.query("SELECT message_id, COUNT(*) AS n FROM realtime_coaching_hints WHERE message_id IN (%s)"
                         " GROUP BY message_id" % marks(message_ids), tuple(message_ids))
    doubled_hints = [r["message_id"] for r in hint_rows if r["n"] > 1]
    queue_ids = [r["id"] for r in rows]
    answered_twice = db.query(
        "SELECT queue_id, COUNT(*) AS n FROM coaching_llm_calls WHERE queue_id IN (%s) AND status = 'settled'"
        " AND outcome IN ('hint', 'no_hint') GROUP BY queue_id HAVING n > 1" % marks(queue_ids), tuple(queue_ids))
    calls = db.one("SELECT COUNT(*) AS calls, COALESCE(SUM(cost), 0) AS cost, COALESCE(SUM(status = 'reserved'), 0) AS open"
                   " FROM coaching_llm_calls WHERE queue_id IN (%s)" % marks(queue_ids), tuple(queue_ids))
    figures = {
        "messages_in": len(message_ids),
        "messages_with_exactly_one_outcome": sum(1 for m in message_ids if len(finals.get(m, [])) == 1),
        "outcomes": dict(Counter(r["outcome"] for rs in finals.values() for r in rs)),
        "duplicate_door_rows": sum(1 for r in rows if r["outcome"] == "duplicate"),
        "hints": sum(int(r["n"]) for r in hint_rows),
        "messages_with_two_or_more_hints": len(doubled_hints),
        "analyses_answered_twice": len(answered_twice),
        "llm_calls": int(calls["calls"]),
        "llm_calls_left_reserved": int(calls["open"]),
        "llm_cost_usd": round(float(calls["cost"]), 6),
        "workers": sorted({r["locked_by"] for r in rows if r["locked_by"]}),
    }
    assert not without, "messages without an outcome: %s" % without[:20]
    assert not several, "messages with several outcomes: %s" % dict(list(several.items())[:20])
    assert not unknown, "outcomes outside the SPEC's list: %s" % unknown
    assert not doubled_hints, "messages with two hints: %s" % doubled_hints[:20]
    assert not answered_twice, "analyses answered by the model twice: %s" % answered_twice[:20]
    return figures


def hour_usage(db):
    row = db.one("SELECT COALESCE(SUM(spent + reserved), 0) AS used, COALESCE(SUM(spent), 0) AS spent"
                 " FROM coaching_budget_windows"
                 " WHERE window_kind = 'hour' AND window_start = DATE_FORMAT(NOW(), '%Y-%m-%d %H:00:00')")
    return float(row["used"]), float(row["spent"])


def record(name, figures):
    """Writes the figures of one run for RESILIENCE.md and prints them (visible with pytest -s)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = dict(figures, test=name, recorded_at=time.strftime("%Y-%m-%d %H:%M:%S"))
    (RESULTS / (name + ".json")).write_text(json.dumps(figures, indent=2, sort_keys=True, default=str) + "\n")
    print("\n%s: %s" % (name, json.dumps(figures, sort_keys=True, default=str)))


class Traffic:
    """Background load through nginx while a fault happens: customer messages through the HTTP door
    (bulk posts, each item tagged) and agent polls. A new connection per request, so a dropped or
    refused request is seen as such, never hidden by a pooled connection's retry.

    Answers are counted by status; transport errors are kept with their text."""

    def __init__(self, base_url, service_token, conversations, poller=None, batch=10, pause=0.05):
        self.base_url = base_url
        self.service_token = service_token
        self.conversations = conversations
        self.poller = poller
        self.batch = batch
        self.pause = pause
        self.tag = "run%s" % uuid.uuid4().hex[:10]
        self.statuses = Counter()
        self.poll_statuses = Counter()
        self.errors = []
        self.accepted = []
        self.sent = 0
        self._stop = threading.Event()
        self._threads = []

    def _post_loop(self):
        n = 0
        while not self._stop.is_set():
            items = []
            for _ in range(self.batch):
                conversation = self.conversations[n % len(self.conversations)]
                items.append({"conversation_id": conversation, "sender_type": "contact",
                              "content": "Achei muito caro, o concorrente cobra menos. %s-%d" % (self.tag, n)})
                n += 1
            self.sent += len(items)
            try:
                resp = requests.post(self.base_url + "/coaching/messages", data=json.dumps(items), timeout=30,
                                     headers={"Authorization": "Bearer " + self.service_token,
                                              "Content-Type": "application/json", "Connection": "close"})
                self.statuses[resp.status_code] += 1
                if resp.status_code == 202:
                    self.accepted += [r["message_id"] for r in resp.json()["results"] if r.get("success")]
            except requests.RequestException as exc:
                self.errors.append("POST: %r" % exc)
            time.sleep(self.pause)

    def _poll_loop(self):
        token, conversation = self.poller
        while not self._stop.is_set():
            try:
                resp = requests.get(self.base_url + "/coaching/pending-hints",
                                    params={"conversation_id": conversation, "seconds": 60}, timeout=30,
                                    headers={"Authorization": "Bearer " + token, "Connection": "close"})
                self.poll_statuses[resp.status_code] += 1
            except requests.RequestException as exc:
                self.errors.append("GET: %r" % exc)
            time.sleep(self.pause)

    def start(self):
        self._threads = [threading.Thread(target=self._post_loop, daemon=True)]
        if self.poller:
            self._threads.append(threading.Thread(target=self._poll_loop, daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def include(self, other):
        """Counts another load's requests and acknowledged messages as this one's (one run, two hosts)."""
        self.statuses.update(other.statuses)
        self.poll_statuses.update(other.poll_statuses)
        self.errors += other.errors
        self.accepted += other.accepted
        self.sent += other.sent

    def assert_answered(self, posts, polls):
        """Every request got an answer (no transport error) with one of the expected statuses."""
        assert not self.errors, self.errors[:5]
        assert set(self.statuses) <= set(posts), self.statuses
        assert set(self.poll_statuses) <= set(polls), self.poll_statuses

    def settle(self, db, **extra):
        """After the fault: every stored message of this run (acknowledged or not) reaches its outcome;
        returns the message ids and the run's audited figures."""
        messages = customer_messages_tagged(db, self.tag)
        assert set(self.accepted) <= set(messages), "an acknowledged message was not stored"
        wait_for_outcomes(db, messages)
        figures = audit(db, messages)
        figures.update(self.figures(), **extra)
        return messages, figures

    def figures(self):
        return {"http_posts_by_status": dict(self.statuses), "http_polls_by_status": dict(self.poll_statuses),
                "http_transport_errors": len(self.errors), "messages_sent": self.sent,
                "messages_accepted_202": len(self.accepted)}
