"""Shared helpers for the integration suite.

Every test talks to the real stack started by ``scripts/stack.sh up test``:
HTTP through nginx -> FastCGI -> MariaDB, and plain SQL on the same database.
The stack describes itself in ``.runtime/test/stack.env`` (or the file named
by ``COACHING_STACK_ENV``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

import pytest

try:  # imported lazily so that --collect-only works without the packages
    import pymysql
    import pymysql.cursors
except ImportError:  # pragma: no cover
    pymysql = None

try:
    import requests
except ImportError:  # pragma: no cover
    requests = None


REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK_ENV = REPO_ROOT / ".runtime" / "test" / "stack.env"

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

HINT_FIELDS = (
    "id",
    "conversation_id",
    "agent_id",
    "message_id",
    "hint_type",
    "hint_text",
    "suggestions",
    "model_used",
    "tokens_used",
    "cost",
    "viewed_at",
    "feedback",
    "created_at",
)

HINT_TYPES = (
    "objection",
    "opportunity",
    "question",
    "negative_sentiment",
    "buying_signal",
    "closing_opportunity",
    "escalation_needed",
)

# Customer text used for seeded messages: shorter than the default
# min_message_length (10) and a day old, so the background pipeline never
# turns the fixtures of one test into extra hints.
SHORT_MESSAGE = "Preço?"
OLD_MESSAGE_AGE = 86400


# ---------------------------------------------------------------------------
# stack environment
# ---------------------------------------------------------------------------


def stack_env_path() -> Path:
    return Path(os.environ.get("COACHING_STACK_ENV") or DEFAULT_STACK_ENV)


def parse_env_file(path: Path) -> dict:
    values = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(frozen=True)
class Stack:
    env: dict

    @property
    def base_url(self) -> str:
        return self.env["COACHING_BASE_URL"].rstrip("/")

    @property
    def secret(self) -> str:
        return self.env["COACHING_JWT_SECRET"]

    @property
    def body_limit(self) -> int:
        return int(self.env.get("COACHING_BODY_LIMIT") or 1048576)

    @property
    def root(self) -> Path:
        return Path(self.env.get("COACHING_ROOT") or REPO_ROOT)

    @property
    def binary(self) -> Path:
        explicit = self.env.get("COACHING_BIN")
        if explicit:
            return Path(explicit)
        return self.root / ".build" / "release" / "coaching"

    @property
    def db_time_zone(self) -> str:
        for key in ("COACHING_DB_TIME_ZONE", "COACHING_DB_TIMEZONE", "COACHING_DB_TZ"):
            if self.env.get(key):
                return self.env[key]
        return "-03:00"

    def db_params(self, database: Optional[str] = None) -> dict:
        return {
            "host": self.env.get("COACHING_DB_HOST") or "127.0.0.1",
            "port": int(self.env.get("COACHING_DB_PORT") or 3306),
            "user": self.env.get("COACHING_DB_USER") or "root",
            "password": self.env.get("COACHING_DB_PASSWORD") or "",
            "database": database if database is not None else self.env["COACHING_DB_NAME"],
        }


def _require_packages():
    missing = [name for name, mod in (("PyMySQL", pymysql), ("requests", requests)) if mod is None]
    if missing:
        pytest.fail("missing Python packages: %s (pip install -r tests/requirements.txt)" % ", ".join(missing))


@pytest.fixture(scope="session")
def stack() -> Stack:
    _require_packages()
    path = stack_env_path()
    if not path.is_file():
        pytest.fail(
            "stack description %s not found; start the test stack with "
            "`scripts/stack.sh up test` (or run `make test`)" % path
        )
    env = parse_env_file(path)
    missing = [k for k in ("COACHING_BASE_URL", "COACHING_DB_NAME", "COACHING_JWT_SECRET") if not env.get(k)]
    if missing:
        pytest.fail("%s lacks %s" % (path, ", ".join(missing)))
    st = Stack(env)
    # The stack should already be up; give it a short grace period.
    deadline = time.monotonic() + 20
    last = None
    while True:
        try:
            last = requests.get(st.base_url + "/coaching/health", timeout=5)
            if last.status_code == 200:
                break
        except requests.RequestException as exc:  # pragma: no cover - depends on stack
            last = exc
        if time.monotonic() > deadline:
            pytest.fail("stack at %s is not healthy: %r" % (st.base_url, getattr(last, "text", last)))
        time.sleep(0.5)
    return st


def stack_script(stack, *args, env=None):
    """Runs scripts/stack.sh for this stack's profile: its binary and ports come from the stack
    description (never the defaults, which may belong to another stack), plus ``env``."""
    profile = stack.env.get("COACHING_PROFILE", "test")
    port_keys = {"dev": ("COACHING_PORT", "COACHING_DB_PORT_DEV"),
                 "test": ("COACHING_TEST_PORT", "COACHING_TEST_DB_PORT"),
                 "bench": ("COACHING_BENCH_PORT", "COACHING_BENCH_DB_PORT")}[profile]
    full = dict(os.environ)
    full["COACHING_BIN"] = stack.env["COACHING_BIN"]
    full[port_keys[0]] = str(urlsplit(stack.base_url).port)
    full[port_keys[1]] = stack.env["COACHING_DB_PORT"]
    full.update(env or {})
    proc = subprocess.run(["bash", str(Path(stack.env["COACHING_ROOT"]) / "scripts" / "stack.sh"), *args, profile],
                          capture_output=True, text=True, timeout=300, env=full)
    assert proc.returncode == 0, "stack.sh %s failed:\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr)


# ---------------------------------------------------------------------------
# database
# ---------------------------------------------------------------------------

_RECONNECT_ERRNOS = {2003, 2006, 2013, 2055, 1927, 1053}


class Database:
    """A small PyMySQL wrapper that reconnects after a server restart."""

    def __init__(self, params: dict, time_zone: str):
        self.params = params
        self.time_zone = time_zone
        self.conn = None
        self._columns: dict = {}

    def connect(self):
        self.conn = pymysql.connect(
            charset="utf8mb4",
            autocommit=True,
            cursorclass=pymysql.cursors.DictCursor,
            connect_timeout=5,
            read_timeout=60,
            write_timeout=60,
            init_command="SET time_zone = '%s'" % self.time_zone.replace("'", ""),
            **self.params,
        )
        return self.conn

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def _run(self, fn):
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.conn is None:
                    self.connect()
                with self.conn.cursor() as cur:
                    return fn(cur)
            except pymysql.err.OperationalError as exc:
                code = exc.args[0] if exc.args else None
                if code not in _RECONNECT_ERRNOS or time.monotonic() > deadline:
                    raise
                self.close()
                time.sleep(0.5)
            except pymysql.err.InterfaceError:
                if time.monotonic() > deadline:
                    raise
                self.close()
                time.sleep(0.5)

    def query(self, sql: str, args: Any = None) -> list:
        def fn(cur):
            cur.execute(sql, args)
            return list(cur.fetchall())

        return self._run(fn)

    def one(self, sql: str, args: Any = None) -> Optional[dict]:
        rows = self.query(sql, args)
        return rows[0] if rows else None

    def scalar(self, sql: str, args: Any = None):
        row = self.one(sql, args)
        if row is None:
            return None
        return next(iter(row.values()))

    def execute(self, sql: str, args: Any = None) -> int:
        def fn(cur):
            cur.execute(sql, args)
            return cur.lastrowid

        return self._run(fn)

    def columns(self, table: str) -> dict:
        """Column metadata of ``table`` in the current database, cached."""
        if table not in self._columns:
            rows = self.query(
                "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
                "FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                (table,),
            )
            self._columns[table] = {r["COLUMN_NAME"]: r for r in rows}
        return self._columns[table]

    def table_exists(self, table: str) -> bool:
        return bool(
            self.scalar(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                (table,),
            )
        )


@pytest.fixture(scope="session")
def db(stack: Stack):
    database = Database(stack.db_params(), stack.db_time_zone)
    database.connect()
    yield database
    database.close()


def _filler_for(column: dict):
    data_type = (column["DATA_TYPE"] or "").lower()
    if data_type in ("int", "bigint", "smallint", "tinyint", "mediumint", "decimal", "float", "double"):
        return 0
    if data_type in ("timestamp", "datetime"):
        return time.strftime("%Y-%m-%d %H:%M:%S")
    if data_type == "date":
        return time.strftime("%Y-%m-%d")
    if data_type == "enum":
        return None  # let the caller supply enums explicitly
    return ""


def insert_row(db: Database, table: str, values: dict, raw: Optional[dict] = None) -> int:
    """INSERT ``values`` (parameters) and ``raw`` (SQL expressions) into ``table``.

    Columns that the service's schema made NOT NULL without a default and that
    the test does not care about are filled with neutral values, so the
    fixtures do not depend on the exact shape of the chat system's tables.
    Returns the row id (explicit or AUTO_INCREMENT).
    """
    raw = dict(raw or {})
    values = dict(values)
    cols = db.columns(table)
    for name, meta in cols.items():
        if name in values or name in raw:
            continue
        if "auto_increment" in (meta["EXTRA"] or "").lower():
            continue
        if meta["IS_NULLABLE"] == "NO" and meta["COLUMN_DEFAULT"] is None and "GENERATED" not in (meta["EXTRA"] or "").upper():
            filler = _filler_for(meta)
            if filler is not None:
                values[name] = filler
    if "id" in cols and "id" not in values and "auto_increment" not in (cols["id"]["EXTRA"] or "").lower():
        values["id"] = next_free_id(db, table)
    names = list(values) + list(raw)
    placeholders = ["%s"] * len(values) + [raw[k] for k in raw]
    sql = "INSERT INTO `%s` (%s) VALUES (%s)" % (
        table,
        ", ".join("`%s`" % n for n in names),
        ", ".join(placeholders),
    )
    last_id = db.execute(sql, tuple(values.values()))
    return int(values.get("id") or last_id)


def next_free_id(db: Database, table: str) -> int:
    current = db.scalar("SELECT COALESCE(MAX(id), 0) FROM `%s`" % table) or 0
    return max(900000, int(current) + 1)


# ---------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_segment(obj: dict) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def mint_token(
    secret: str,
    sub: Optional[Any],
    role: str = "agent",
    ttl: int = 3600,
    alg: str = "HS256",
    extra: Optional[dict] = None,
    header: Optional[dict] = None,
) -> str:
    now = int(time.time())
    payload = {"role": role, "iat": now, "exp": now + ttl}
    if sub is not None:
        payload["sub"] = str(sub)
    if extra:
        payload.update(extra)
    head = {"alg": alg, "typ": "JWT"}
    if header:
        head.update(header)
    signing_input = encode_segment(head) + "." + encode_segment(payload)
    if alg.lower() == "none":
        return signing_input + "."
    signature = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


@pytest.fixture(scope="session")
def token_factory(stack: Stack):
    def make(sub, role="agent", **kwargs):
        return mint_token(stack.secret, sub, role, **kwargs)

    return make


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


@dataclass
class User:
    id: int
    role: str
    token: str


class Api:
    def __init__(self, base_url: str):
        self.base_url = base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        user: Any = None,
        cookie: bool = False,
        headers: Optional[dict] = None,
        timeout: float = 15,
        **kwargs,
    ):
        hdrs = dict(headers or {})
        token = user.token if isinstance(user, User) else user
        if token is not None:
            if cookie:
                hdrs["Cookie"] = "coaching_token=%s" % token
            else:
                hdrs["Authorization"] = "Bearer %s" % token
        return requests.request(method, self.url(path), headers=hdrs, timeout=timeout, allow_redirects=False, **kwargs)

    def get(self, path: str, user: Any = None, **kwargs):
        return self.request("GET", path, user=user, **kwargs)

    def post(self, path: str, user: Any = None, **kwargs):
        return self.request("POST", path, user=user, **kwargs)

    def post_raw(self, path: str, body: Any, content_type: str, user: Any = None, headers: Optional[dict] = None, **kwargs):
        hdrs = {"Content-Type": content_type}
        hdrs.update(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.request("POST", path, user=user, data=body, headers=hdrs, **kwargs)


@pytest.fixture(scope="session")
def api(stack: Stack) -> Api:
    return Api(stack.base_url)


# ---------------------------------------------------------------------------
# assertions
# ---------------------------------------------------------------------------


def assert_json_headers(resp):
    ctype = resp.headers.get("Content-Type", "")
    normalized = ctype.replace(" ", "").lower()
    assert normalized == "application/json;charset=utf-8", "Content-Type was %r (%s %s)" % (
        ctype,
        resp.status_code,
        resp.text[:200],
    )
    assert "no-store" in resp.headers.get("Cache-Control", ""), "Cache-Control was %r" % resp.headers.get(
        "Cache-Control"
    )


def json_body(resp, status: int = 200) -> Any:
    assert resp.status_code == status, "expected %s, got %s: %s" % (status, resp.status_code, resp.text[:500])
    assert_json_headers(resp)
    return resp.json()


def assert_error(resp, status: Any, code: Optional[str] = None) -> dict:
    statuses = status if isinstance(status, (tuple, list, set)) else (status,)
    assert resp.status_code in statuses, "expected %s, got %s: %s" % (statuses, resp.status_code, resp.text[:500])
    assert_json_headers(resp)
    body = resp.json()
    assert body.get("success") is False, body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_timestamp(value):
    assert isinstance(value, str) and TIMESTAMP_RE.match(value), "not a YYYY-MM-DD HH:MM:SS timestamp: %r" % (value,)


def assert_hint_shape(hint: dict, pending: bool = False):
    missing = [f for f in HINT_FIELDS if f not in hint]
    assert not missing, "hint lacks %s: %s" % (missing, hint)
    assert type(hint["id"]) is int and hint["id"] > 0
    assert type(hint["conversation_id"]) is int
    assert type(hint["agent_id"]) is int
    assert hint["message_id"] is None or type(hint["message_id"]) is int
    assert isinstance(hint["hint_type"], str)
    assert isinstance(hint["hint_text"], str)
    assert isinstance(hint["suggestions"], list), hint
    assert all(isinstance(s, str) for s in hint["suggestions"]), hint
    assert hint["model_used"] is None or isinstance(hint["model_used"], str)
    assert type(hint["tokens_used"]) is int
    assert type(hint["cost"]) in (int, float), "cost must be a number: %r" % (hint["cost"],)
    assert hint["viewed_at"] is None or TIMESTAMP_RE.match(hint["viewed_at"]), hint["viewed_at"]
    assert hint["feedback"] in (None, "helpful", "not_helpful"), hint["feedback"]
    assert_timestamp(hint["created_at"])
    assert "label" in hint and isinstance(hint["label"], str) and hint["label"], hint
    if pending:
        assert "message_body" in hint, hint
        assert hint["message_body"] is None or isinstance(hint["message_body"], str)


def db_timestamp(value) -> Optional[str]:
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S")


def ids(hints: Iterable[dict]) -> list:
    return [h["id"] for h in hints]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % message)
        time.sleep(interval)


# ---------------------------------------------------------------------------
# data factories
# ---------------------------------------------------------------------------


class Factory:
    """Creates users, conversations, messages and hints; removes them afterwards."""

    def __init__(self, db: Database, stack: Stack):
        self.db = db
        self.stack = stack
        self.user_ids: list = []
        self.conversation_ids: list = []
        self.message_ids: list = []
        self.hint_ids: list = []
        self._anchor: Optional[int] = None

    def anchor(self) -> int:
        """Unix time fixed at the first hint of a test, so ages are exact and distinct."""
        if self._anchor is None:
            self._anchor = int(self.db.scalar("SELECT UNIX_TIMESTAMP()"))
        return self._anchor

    # users -----------------------------------------------------------------
    def user(self, role: str = "agent", name: Optional[str] = None) -> User:
        tag = uuid.uuid4().hex[:12]
        values = {
            "name": name or "Test %s %s" % (role, tag),
            "email": "it-%s@example.test" % tag,
            "password": "$2y$10$abcdefghijklmnopqrstuuK6x1mQ0jv0Zx3l8m2yqS7Yy4q4eQ5yG",
            "role": "agent" if role == "service" else role,
        }
        if "status" in self.db.columns("users"):
            values["status"] = "active"
        uid = insert_row(self.db, "users", values)
        self.user_ids.append(uid)
        return User(uid, role, mint_token(self.stack.secret, uid, role))

    def agent(self) -> User:
        return self.user("agent")

    # conversations -----------------------------------------------------------
    def conversation(self, agent_id: Optional[int], status: str = "open") -> int:
        cid = insert_row(self.db, "conversations", {"agent_id": agent_id, "status": status})
        self.conversation_ids.append(cid)
        return cid

    # messages ----------------------------------------------------------------
    def message(
        self,
        conversation_id: int,
        content: str = SHORT_MESSAGE,
        sender_type: str = "contact",
        age_seconds: int = OLD_MESSAGE_AGE,
        message_type: str = "text",
    ) -> int:
        mid = insert_row(
            self.db,
            "messages",
            {
                "conversation_id": conversation_id,
                "sender_type": sender_type,
                "content": content,
                "message_type": message_type,
            },
            raw={"created_at": "NOW() - INTERVAL %d SECOND" % int(age_seconds)},
        )
        self.message_ids.append(mid)
        return mid

    # hints -------------------------------------------------------------------
    def hint(
        self,
        conversation_id: int,
        agent_id: int,
        message_id: Optional[int] = None,
        hint_type: str = "objection",
        hint_text: str = "O cliente achou caro: mostre o valor antes do preço.",
        suggestions: Any = ("Entendo! Posso te mostrar o que está incluso?", "Temos parcelamento em 10x."),
        suggestions_raw: Optional[str] = None,
        model_used: Optional[str] = "gpt-3.5-turbo",
        tokens_used: int = 150,
        cost: float = 0.000225,
        age_seconds: int = 0,
        viewed_ago: Optional[int] = None,
        feedback: Optional[str] = None,
    ) -> int:
        values = {
            "conversation_id": conversation_id,
            "agent_id": agent_id,
            "message_id": message_id,
            "hint_type": hint_type,
            "hint_text": hint_text,
            "model_used": model_used,
            "tokens_used": tokens_used,
            "cost": cost,
            "feedback": feedback,
        }
        if suggestions_raw is not None:
            values["suggestions"] = suggestions_raw
        elif suggestions is None:
            values["suggestions"] = None
        else:
            values["suggestions"] = json.dumps(list(suggestions), ensure_ascii=False)
        anchor = self.anchor()
        raw = {"created_at": "FROM_UNIXTIME(%d)" % (anchor - int(age_seconds))}
        if viewed_ago is not None:
            raw["viewed_at"] = "FROM_UNIXTIME(%d)" % (anchor - int(viewed_ago))
        hid = insert_row(self.db, "realtime_coaching_hints", values, raw=raw)
        self.hint_ids.append(hid)
        return hid

    def hint_row(self, hint_id: int) -> dict:
        return self.db.one("SELECT * FROM realtime_coaching_hints WHERE id = %s", (hint_id,))

    def events(self, hint_id: int, event: Optional[str] = None) -> list:
        if event is None:
            return self.db.query("SELECT * FROM coaching_hint_events WHERE hint_id = %s ORDER BY id", (hint_id,))
        return self.db.query(
            "SELECT * FROM coaching_hint_events WHERE hint_id = %s AND event = %s ORDER BY id", (hint_id, event)
        )

    # a ready-made scene --------------------------------------------------------
    def scene(self, **hint_kwargs):
        """An agent with a conversation, a customer message and one hint on it."""
        agent = self.agent()
        conv = self.conversation(agent.id)
        msg = self.message(conv)
        hint = self.hint(conv, agent.id, message_id=msg, **hint_kwargs)
        return agent, conv, msg, hint

    # cleanup -------------------------------------------------------------------
    def cleanup(self):
        def quiet(sql, args):
            try:
                self.db.execute(sql, args)
            except Exception:
                pass

        def in_list(values):
            return ", ".join(["%s"] * len(values))

        if self.hint_ids:
            quiet("DELETE FROM coaching_hint_events WHERE hint_id IN (%s)" % in_list(self.hint_ids), tuple(self.hint_ids))
        if self.user_ids:
            quiet(
                "DELETE FROM coaching_typing_state WHERE agent_id IN (%s)" % in_list(self.user_ids),
                tuple(self.user_ids),
            )
            quiet(
                "DELETE FROM coaching_experiment_assignments WHERE agent_id IN (%s)" % in_list(self.user_ids),
                tuple(self.user_ids),
            )
        if self.message_ids:
            quiet("DELETE FROM coaching_queue WHERE message_id IN (%s)" % in_list(self.message_ids), tuple(self.message_ids))
        for table, values in (
            ("realtime_coaching_hints", self.hint_ids),
            ("messages", self.message_ids),
            ("conversations", self.conversation_ids),
            ("users", self.user_ids),
        ):
            if values:
                quiet("DELETE FROM `%s` WHERE id IN (%s)" % (table, in_list(values)), tuple(values))


@pytest.fixture
def factory(db: Database, stack: Stack):
    fac = Factory(db, stack)
    yield fac
    fac.cleanup()


# ---------------------------------------------------------------------------
# coaching settings (the `conversation_settings` row)
# ---------------------------------------------------------------------------

SETTINGS_KEY = "conversation_settings"


class CoachingSettings:
    """Writes the `realtime_coaching` object and waits until the service sees it.

    Every write starts from the row as it was when the run began, so the
    overrides of one test never leak into the next; the original row is put
    back at the end of the run.
    """

    def __init__(self, db: Database, api: Api, probe: User):
        self.db = db
        self.api = api
        self.probe = probe
        self.original = db.one("SELECT * FROM settings WHERE `key` = %s", (SETTINGS_KEY,))
        self.original_blob = self._parse(self.original["value"] if self.original else None)

    @staticmethod
    def _parse(value: Optional[str]) -> dict:
        if not value:
            return {}
        try:
            blob = json.loads(value)
        except ValueError:
            return {}
        return blob if isinstance(blob, dict) else {}

    # raw access ---------------------------------------------------------------
    def current_value(self) -> Optional[str]:
        row = self.db.one("SELECT `value` FROM settings WHERE `key` = %s", (SETTINGS_KEY,))
        return None if row is None else row["value"]

    def current_blob(self) -> dict:
        return self._parse(self.current_value())

    def write_value(self, value: Optional[str]) -> bool:
        """Store ``value`` (None deletes the row). Returns True when something changed."""
        if value == self.current_value():
            return False
        if value is None:
            self.db.execute("DELETE FROM settings WHERE `key` = %s", (SETTINGS_KEY,))
            return True
        existing = self.db.one("SELECT id FROM settings WHERE `key` = %s", (SETTINGS_KEY,))
        if existing:
            self.db.execute("UPDATE settings SET `value` = %s, `type` = 'json' WHERE `key` = %s", (value, SETTINGS_KEY))
        else:
            values = {"key": SETTINGS_KEY, "value": value, "type": "json"}
            cols = self.db.columns("settings")
            if "group" in cols:
                values["group"] = "conversations"
            if "label" in cols:
                values["label"] = "Conversation settings"
            if "description" in cols:
                values["description"] = ""
            if "is_public" in cols:
                values["is_public"] = 0
            insert_row(self.db, "settings", values)
        return True

    def set_blob(self, blob: dict, expect_enabled: Optional[bool] = None):
        changed_at = time.monotonic()
        if self.write_value(json.dumps(blob, ensure_ascii=False)):
            if expect_enabled is None:
                rc = blob.get("realtime_coaching")
                expect_enabled = bool(isinstance(rc, dict) and rc.get("enabled") is True)
            self.wait_for(expect_enabled, changed_at)

    def set_realtime(self, enabled: bool, extra_top: Optional[dict] = None, **overrides):
        blob = copy.deepcopy(self.original_blob)
        rc = blob.get("realtime_coaching")
        rc = dict(rc) if isinstance(rc, dict) else {}
        rc.update(overrides)
        rc["enabled"] = enabled
        blob["realtime_coaching"] = rc
        if extra_top:
            blob.update(extra_top)
        self.set_blob(blob, expect_enabled=enabled)

    def enable(self, **overrides):
        self.set_realtime(True, **overrides)

    def disable(self, **overrides):
        self.set_realtime(False, **overrides)

    def delete_row(self):
        changed_at = time.monotonic()
        if self.write_value(None):
            self.wait_for(False, changed_at)

    # waiting --------------------------------------------------------------------
    def observed_enabled(self) -> Optional[bool]:
        try:
            resp = self.api.get("/api/coaching/hints/pending", user=self.probe, timeout=5)
        except requests.RequestException:
            return None
        if resp.status_code == 400:
            return True
        if resp.status_code == 200:
            try:
                return resp.json().get("enabled") is not False
            except ValueError:
                return None
        return None

    def wait_for(self, enabled: bool, changed_at: float, timeout: float = 6.0):
        deadline = changed_at + timeout
        while True:
            seen = self.observed_enabled()
            if seen is enabled:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    "the service did not report enabled=%s within %.0f s of the settings change" % (enabled, timeout)
                )
            time.sleep(0.1)
        # Settings may be cached per request thread for up to ~1 s; make sure
        # every cache has had the chance to refresh.
        remaining = changed_at + 1.3 - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def restore(self):
        original = self.original
        if original is None:
            self.db.execute("DELETE FROM settings WHERE `key` = %s", (SETTINGS_KEY,))
            return
        if self.db.one("SELECT id FROM settings WHERE `key` = %s", (SETTINGS_KEY,)):
            self.db.execute(
                "UPDATE settings SET `value` = %s, `type` = %s WHERE `key` = %s",
                (original["value"], original["type"], SETTINGS_KEY),
            )
        else:
            insert_row(self.db, "settings", {k: v for k, v in original.items() if v is not None})


@pytest.fixture(scope="session")
def probe_user(db: Database, stack: Stack):
    fac = Factory(db, stack)
    user = fac.user("agent", name="Settings probe")
    yield user
    fac.cleanup()


@pytest.fixture(scope="session")
def _coaching_settings_session(db: Database, api: Api, probe_user: User):
    ctl = CoachingSettings(db, api, probe_user)
    yield ctl
    ctl.restore()


@pytest.fixture
def coaching(_coaching_settings_session) -> CoachingSettings:
    """Control of realtime_coaching settings; the original row is restored at the end of the run."""
    return _coaching_settings_session


@pytest.fixture
def coaching_enabled(coaching: CoachingSettings) -> CoachingSettings:
    coaching.enable()
    return coaching


@pytest.fixture
def coaching_disabled(coaching: CoachingSettings) -> CoachingSettings:
    coaching.disable()
    return coaching


# ---------------------------------------------------------------------------
# browser (Debian's chromium driven by Playwright)
# ---------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / ".runtime" / "screenshots"  # for a person to look at after a run


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


@pytest.fixture
def open_admin_page(browser, stack):
    """Opens an admin page the way a person would: the token in the URL's fragment (#token=…), then
    any other fragment parameters. `routes` maps URL patterns to Playwright handlers installed before
    the page loads (to feed it answers the real interface cannot produce). Each page records uncaught
    errors (page.errors) and console errors (page.console_errors)."""
    contexts = []

    def open_(path, user=None, locale="en-US", height=900, fragment=(), routes=None):
        context = browser.new_context(viewport={"width": 1280, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.console_errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        for pattern, handler in (routes or {}).items():
            page.route(pattern, handler)
        parts = (["token=" + user.token] if user is not None else []) + list(fragment)
        page.goto(stack.base_url + path + ("#" + "&".join(parts) if parts else ""))
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def admin(factory):
    """A fresh user with the admin role."""
    return factory.user("admin")
