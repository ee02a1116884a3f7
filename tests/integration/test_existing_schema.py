"""`coaching migrate` on a database where the original chat system already created its tables,
and on an empty database (SPEC §2.1: same names and column types, additive changes only)."""

import os
import re
import subprocess
import uuid
from pathlib import Path

import pymysql
import pytest

from conftest import Database, insert_row

ORIGINAL_TABLES = (
    "users",
    "conversations",
    "messages",
    "settings",
    "realtime_coaching_hints",
    "realtime_coaching_cache",
    "coaching_queue",
)
ADDITIVE_TABLES = ("coaching_hint_events", "coaching_typing_state", "coaching_migrations")

# DDL as the original PHP system created it (its own migrations plus the chat
# application's tables), including columns this product does not know about.
ORIGINAL_DDL = [
    """
    CREATE TABLE users (
        id INT AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        email VARCHAR(255) NOT NULL UNIQUE,
        password VARCHAR(255) NOT NULL,
        role VARCHAR(50) DEFAULT 'agent',
        status VARCHAR(20) DEFAULT 'active',
        avatar VARCHAR(255) NULL,
        last_login_at TIMESTAMP NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        INDEX idx_role (role),
        INDEX idx_status (status)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
    """
    CREATE TABLE conversations (
        id INT AUTO_INCREMENT PRIMARY KEY,
        contact_id INT NOT NULL,
        agent_id INT NULL,
        department_id INT NULL,
        channel VARCHAR(50) DEFAULT 'whatsapp',
        status VARCHAR(20) DEFAULT 'open',
        last_message_at TIMESTAMP NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        INDEX idx_contact (contact_id),
        INDEX idx_agent (agent_id),
        INDEX idx_status (status),
        CONSTRAINT fk_conversations_agent FOREIGN KEY (agent_id) REFERENCES users(id) ON DELETE SET NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
    """
    CREATE TABLE messages (
        id INT AUTO_INCREMENT PRIMARY KEY,
        conversation_id INT NOT NULL,
        sender_type VARCHAR(20) NOT NULL,
        sender_id INT NULL,
        content TEXT NOT NULL,
        message_type VARCHAR(20) DEFAULT 'text',
        attachments JSON NULL,
        status VARCHAR(20) DEFAULT 'sent',
        external_id VARCHAR(255) NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        INDEX idx_conversation (conversation_id),
        INDEX idx_created (created_at),
        CONSTRAINT fk_messages_conversation FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
    """
    CREATE TABLE settings (
        id INT AUTO_INCREMENT PRIMARY KEY,
        `key` VARCHAR(255) NOT NULL UNIQUE,
        `value` TEXT NULL,
        `type` VARCHAR(50) DEFAULT 'string',
        `group` VARCHAR(100) DEFAULT 'general',
        label VARCHAR(255) NULL,
        description TEXT NULL,
        is_public TINYINT(1) DEFAULT 0,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        INDEX idx_group (`group`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
    """
    CREATE TABLE realtime_coaching_hints (
        id INT AUTO_INCREMENT PRIMARY KEY,
        conversation_id INT NOT NULL,
        agent_id INT NOT NULL,
        message_id INT NULL,
        hint_type VARCHAR(50) NOT NULL,
        hint_text TEXT NOT NULL,
        suggestions JSON NULL,
        model_used VARCHAR(50) NULL,
        tokens_used INT DEFAULT 0,
        cost DECIMAL(10,6) DEFAULT 0,
        viewed_at TIMESTAMP NULL,
        feedback VARCHAR(20) NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        INDEX idx_conversation (conversation_id),
        INDEX idx_agent (agent_id),
        INDEX idx_message (message_id),
        INDEX idx_created (created_at),
        INDEX idx_type (hint_type),
        FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
        FOREIGN KEY (agent_id) REFERENCES users(id) ON DELETE CASCADE,
        FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE SET NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
    """
    CREATE TABLE realtime_coaching_cache (
        id INT AUTO_INCREMENT PRIMARY KEY,
        message_hash VARCHAR(64) NOT NULL UNIQUE,
        hint_type VARCHAR(50) NULL,
        hint_text TEXT NULL,
        suggestions JSON NULL,
        model_used VARCHAR(50) NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        expires_at TIMESTAMP NOT NULL,
        INDEX idx_hash (message_hash),
        INDEX idx_expires (expires_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
    """
    CREATE TABLE coaching_queue (
        id INT AUTO_INCREMENT PRIMARY KEY,
        message_id INT NOT NULL,
        conversation_id INT NOT NULL,
        agent_id INT NOT NULL,
        status ENUM('pending','processing','completed','failed') DEFAULT 'pending',
        attempts INT DEFAULT 0,
        last_error TEXT NULL,
        added_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        processed_at TIMESTAMP NULL,
        INDEX idx_status (status),
        INDEX idx_added (added_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    """,
]

ORIGINAL_ROWS = [
    """INSERT INTO users (id, name, email, password, role, status)
       VALUES (7, 'Joana Vendas', 'joana@loja.example', '$2y$10$0riginalHashOriginalHashOriginalHashOriginalHashOri', 'agent', 'active')""",
    """INSERT INTO conversations (id, contact_id, agent_id, channel, status)
       VALUES (31, 501, 7, 'instagram', 'open')""",
    """INSERT INTO messages (id, conversation_id, sender_type, sender_id, content, message_type, created_at)
       VALUES (77, 31, 'contact', 501, 'Achei caro demais, tem desconto à vista? 😅', 'text', '2024-05-02 10:15:00')""",
    """INSERT INTO settings (`key`, `value`, `type`, `group`, label)
       VALUES ('conversation_settings',
               '{"auto_assign":true,"sla_minutes":15,"realtime_coaching":{"enabled":true,"model":"gpt-4o-mini","min_message_length":12}}',
               'json', 'conversations', 'Conversas')""",
    """INSERT INTO settings (`key`, `value`, `type`, `group`) VALUES ('company_name', 'Loja Exemplo', 'string', 'general')""",
    """INSERT INTO realtime_coaching_hints
         (id, conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, model_used, tokens_used, cost,
          viewed_at, feedback, created_at)
       VALUES (1001, 31, 7, 77, 'objection', 'Objeção de preço: mostre o valor/benefício 💡',
               '["Posso te mostrar o que está incluso?","Temos 5% à vista."]', 'gpt-3.5-turbo', 312, 0.000468,
               '2024-05-02 10:15:09', 'helpful', '2024-05-02 10:15:04')""",
    """INSERT INTO realtime_coaching_cache (message_hash, hint_type, hint_text, suggestions, model_used, expires_at)
       VALUES (SHA2('achei caro', 256), 'objection', 'Preço', '["a"]', 'gpt-3.5-turbo', '2030-01-01 00:00:00')""",
    # the original listener names only these four columns
    """INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status) VALUES (77, 31, 7, 'pending')""",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def server_connection(stack):
    params = stack.db_params(database="")
    params.pop("database")
    return pymysql.connect(charset="utf8mb4", autocommit=True, connect_timeout=5, **params)


@pytest.fixture
def scratch_database(stack):
    """Creates empty databases on the stack's server and drops them afterwards."""
    created = []

    def make(prefix):
        name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
        conn = server_connection(stack)
        try:
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" % name)
        finally:
            conn.close()
        created.append(name)
        database = Database(stack.db_params(database=name), stack.db_time_zone)
        database.connect()
        return name, database

    yield make
    for name in created:
        conn = server_connection(stack)
        try:
            with conn.cursor() as cur:
                cur.execute("DROP DATABASE IF EXISTS `%s`" % name)
        finally:
            conn.close()


def run_migrate(stack, database_name):
    binary = stack.binary
    assert binary.is_file(), "coaching binary not found at %s (COACHING_BIN)" % binary
    env = dict(os.environ)
    env.update({k: v for k, v in stack.env.items() if k.startswith("COACHING_")})
    env["COACHING_DB_NAME"] = database_name
    proc = subprocess.run(
        [str(binary), "migrate"],
        cwd=str(stack.root),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, "migrate exited %s\nstdout:\n%s\nstderr:\n%s" % (
        proc.returncode,
        proc.stdout[-4000:],
        proc.stderr[-4000:],
    )
    return proc


def column_info(db, table):
    rows = db.query(
        "SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION",
        (table,),
    )
    return {r["COLUMN_NAME"]: r for r in rows}


def index_columns(db, table):
    rows = db.query(
        "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        (table,),
    )
    indexes = {}
    for r in rows:
        indexes.setdefault(r["INDEX_NAME"], []).append(r["COLUMN_NAME"])
    return indexes


def unique_columns(db, table):
    rows = db.query(
        "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        (table,),
    )
    indexes = {}
    for r in rows:
        indexes.setdefault(r["INDEX_NAME"], []).append(r["COLUMN_NAME"])
    return [tuple(cols) for cols in indexes.values()]


def foreign_keys(db, table):
    rows = db.query(
        "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE "
        "FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
        "  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
        "WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = %s AND k.REFERENCED_TABLE_NAME IS NOT NULL",
        (table,),
    )
    return {(r["COLUMN_NAME"], r["REFERENCED_TABLE_NAME"], r["REFERENCED_COLUMN_NAME"], r["DELETE_RULE"]) for r in rows}


def tables(db):
    return {r["TABLE_NAME"] for r in db.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
    )}


def schema_fingerprint(db):
    out = {}
    for table in sorted(tables(db)):
        out[table] = {
            "columns": {k: (v["COLUMN_TYPE"], v["IS_NULLABLE"], v["COLUMN_DEFAULT"]) for k, v in column_info(db, table).items()},
            "indexes": index_columns(db, table),
            "fks": foreign_keys(db, table),
        }
    return out


def normalized_type(column_type):
    """`int(11)` and `int` are the same type; MariaDB shows JSON as longtext."""
    t = column_type.lower()
    t = re.sub(r"^(tinyint|smallint|mediumint|int|bigint)\(\d+\)", r"\1", t)
    if t == "json":
        t = "longtext"
    return t


def migration_files(stack):
    sql_dir = Path(stack.env.get("COACHING_SQL_DIR") or stack.root / "sql")
    files = sorted(p.name for p in sql_dir.glob("*.sql"))
    assert files, "no migration files in %s" % sql_dir
    return files


def migrations_recorded(db):
    rows = db.query("SELECT * FROM coaching_migrations")
    assert all("filename" in r and "applied_at" in r for r in rows), rows[:1]
    return [os.path.basename(r["filename"]) for r in rows]


def snapshot_rows(db):
    return {table: db.query("SELECT * FROM `%s` ORDER BY id" % table) for table in ORIGINAL_TABLES}


def has_index_starting_with(indexes, columns):
    return any(cols[: len(columns)] == list(columns) for cols in indexes.values())


# Column facts of SPEC §2.1: name -> (normalized COLUMN_TYPE, nullable)
HINT_COLUMNS = {
    "id": ("int", "NO"),
    "conversation_id": ("int", "NO"),
    "agent_id": ("int", "NO"),
    "message_id": ("int", "YES"),
    "hint_type": ("varchar(50)", "NO"),
    "hint_text": ("text", "NO"),
    "suggestions": ("longtext", "YES"),
    "model_used": ("varchar(50)", "YES"),
    "tokens_used": ("int", None),
    "cost": ("decimal(10,6)", None),
    "viewed_at": ("timestamp", "YES"),
    "feedback": ("varchar(20)", "YES"),
    "created_at": ("timestamp", None),
}
CACHE_COLUMNS = {
    "id": ("int", "NO"),
    "message_hash": ("varchar(64)", "NO"),
    "hint_type": ("varchar(50)", None),
    "hint_text": ("text", None),
    "suggestions": ("longtext", "YES"),
    "model_used": ("varchar(50)", "YES"),
    "created_at": ("timestamp", None),
    "expires_at": ("timestamp", "NO"),
}
QUEUE_COLUMNS = {
    "id": ("int", "NO"),
    "message_id": ("int", "NO"),
    "conversation_id": ("int", "NO"),
    "agent_id": ("int", "NO"),
    "status": ("enum('pending','processing','completed','failed')", None),
    "attempts": ("int", None),
    "last_error": ("text", "YES"),
    "added_at": ("timestamp", None),
    "processed_at": ("timestamp", "YES"),
}
CHAT_COLUMNS = {
    "users": {"id": ("int", "NO"), "name": ("varchar(255)", None), "email": ("varchar(255)", None),
              "password": ("varchar(255)", None), "role": ("varchar(50)", None)},
    "conversations": {"id": ("int", "NO"), "agent_id": ("int", "YES"), "status": ("varchar(20)", None)},
    "messages": {"id": ("int", "NO"), "conversation_id": ("int", "NO"), "sender_type": ("varchar(20)", "NO"),
                 "sender_id": ("int", "YES"), "content": ("text", "NO"), "message_type": ("varchar(20)", None),
                 "created_at": ("timestamp", None)},
    "settings": {"id": ("int", None), "key": ("varchar(255)", None), "value": ("text", None),
                 "type": ("varchar(50)", None), "group": ("varchar(100)", None)},
}


def check_column_facts(db, table, facts):
    cols = column_info(db, table)
    problems = []
    for name, (expected_type, nullable) in facts.items():
        if name not in cols:
            problems.append("%s.%s missing" % (table, name))
            continue
        got = normalized_type(cols[name]["COLUMN_TYPE"])
        if got != expected_type:
            problems.append("%s.%s is %s, expected %s" % (table, name, cols[name]["COLUMN_TYPE"], expected_type))
        if nullable is not None and cols[name]["IS_NULLABLE"] != nullable:
            problems.append("%s.%s nullable=%s, expected %s" % (table, name, cols[name]["IS_NULLABLE"], nullable))
    return problems


def check_original_schema(db):
    """The SPEC §2.1 facts, whoever created the tables."""
    present = tables(db)
    missing = [t for t in ORIGINAL_TABLES + ADDITIVE_TABLES if t not in present]
    assert not missing, "missing tables: %s" % missing

    problems = []
    problems += check_column_facts(db, "realtime_coaching_hints", HINT_COLUMNS)
    problems += check_column_facts(db, "realtime_coaching_cache", CACHE_COLUMNS)
    problems += check_column_facts(db, "coaching_queue", QUEUE_COLUMNS)
    for table, facts in CHAT_COLUMNS.items():
        problems += check_column_facts(db, table, facts)
    assert not problems, "\n".join(problems)

    hints = column_info(db, "realtime_coaching_hints")
    assert str(hints["tokens_used"]["COLUMN_DEFAULT"]) == "0"
    assert float(hints["cost"]["COLUMN_DEFAULT"]) == 0
    assert "current_timestamp" in str(hints["created_at"]["COLUMN_DEFAULT"]).lower()
    queue = column_info(db, "coaching_queue")
    assert str(queue["status"]["COLUMN_DEFAULT"]).strip("'") == "pending"
    assert str(queue["attempts"]["COLUMN_DEFAULT"]) == "0"
    assert ("message_hash",) in unique_columns(db, "realtime_coaching_cache")
    assert ("email",) in unique_columns(db, "users")
    assert ("key",) in unique_columns(db, "settings")

    fks = foreign_keys(db, "realtime_coaching_hints")
    assert ("conversation_id", "conversations", "id", "CASCADE") in fks, fks
    assert ("agent_id", "users", "id", "CASCADE") in fks, fks
    assert ("message_id", "messages", "id", "SET NULL") in fks, fks

    indexes = index_columns(db, "realtime_coaching_hints")
    for column in ("conversation_id", "agent_id", "message_id", "created_at", "hint_type"):
        assert has_index_starting_with(indexes, [column]), "no index on %s: %s" % (column, indexes)
    assert has_index_starting_with(indexes, ["conversation_id", "agent_id", "created_at"]), indexes
    assert has_index_starting_with(index_columns(db, "realtime_coaching_cache"), ["expires_at"])

    status = db.one(
        "SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'realtime_coaching_hints'"
    )
    assert status["ENGINE"] == "InnoDB"
    assert status["TABLE_COLLATION"].startswith("utf8mb4")

    for table, expected in (
        ("coaching_hint_events", ("id", "hint_id", "agent_id", "event", "detail", "created_at")),
        ("coaching_typing_state", ("agent_id", "conversation_id", "is_typing", "updated_at")),
        ("coaching_migrations", ("filename", "applied_at")),
    ):
        cols = column_info(db, table)
        absent = [c for c in expected if c not in cols]
        assert not absent, "%s lacks %s" % (table, absent)


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_migrate_keeps_an_existing_original_database(stack, scratch_database):
    name, db = scratch_database("coaching_legacy")
    for ddl in ORIGINAL_DDL:
        db.execute(ddl)
    for sql in ORIGINAL_ROWS:
        db.execute(sql)
    before_rows = snapshot_rows(db)
    before_columns = {t: column_info(db, t) for t in ORIGINAL_TABLES}
    before_indexes = {t: index_columns(db, t) for t in ORIGINAL_TABLES}
    before_fks = {t: foreign_keys(db, t) for t in ORIGINAL_TABLES}
    assert not has_index_starting_with(before_indexes["realtime_coaching_hints"], ["conversation_id", "agent_id", "created_at"])

    run_migrate(stack, name)
    after_first = schema_fingerprint(db)
    recorded_first = migrations_recorded(db)
    run_migrate(stack, name)
    assert schema_fingerprint(db) == after_first, "second migrate changed the schema"
    recorded_second = migrations_recorded(db)
    assert sorted(recorded_second) == sorted(recorded_first), "second migrate recorded files again"
    assert len(recorded_second) == len(set(recorded_second))
    files = migration_files(stack)
    assert set(files) <= set(recorded_second), "not recorded: %s" % sorted(set(files) - set(recorded_second))

    # original rows: still there, every original column keeps its value
    after_rows = snapshot_rows(db)
    for table in ORIGINAL_TABLES:
        after_by_id = {row["id"]: row for row in after_rows[table]}
        for old in before_rows[table]:
            assert old["id"] in after_by_id, "%s row %s is gone" % (table, old["id"])
            new = after_by_id[old["id"]]
            assert {k: new.get(k) for k in old} == old, table
    assert len(after_rows["realtime_coaching_hints"]) == 1
    assert len(after_rows["coaching_queue"]) == 1

    # original columns: same type, nullability and default; nothing dropped
    for table in ORIGINAL_TABLES:
        after = column_info(db, table)
        for column, meta in before_columns[table].items():
            assert column in after, "%s.%s was dropped" % (table, column)
            for key in ("COLUMN_TYPE", "IS_NULLABLE", "COLUMN_DEFAULT"):
                assert after[column][key] == meta[key], "%s.%s %s changed: %r -> %r" % (
                    table, column, key, meta[key], after[column][key])
        # original indexes and foreign keys are still there
        after_indexes = index_columns(db, table)
        for index, cols in before_indexes[table].items():
            assert has_index_starting_with(after_indexes, cols), "%s index %s %s lost" % (table, index, cols)
        assert before_fks[table] <= foreign_keys(db, table), table

    # the additive parts
    present = tables(db)
    for table in ADDITIVE_TABLES:
        assert table in present, "%s not created" % table
    assert has_index_starting_with(
        index_columns(db, "realtime_coaching_hints"), ["conversation_id", "agent_id", "created_at"]
    ), "composite index (conversation_id, agent_id, created_at) missing"
    check_original_schema(db)

    # the original system's own statements still work unchanged
    db.execute("INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status) VALUES (77, 31, 7, 'pending')")
    queued = db.one("SELECT * FROM coaching_queue ORDER BY id DESC LIMIT 1")
    assert queued["status"] == "pending" and queued["attempts"] == 0
    hint_id = db.execute(
        "INSERT INTO realtime_coaching_hints (conversation_id, agent_id, message_id, hint_type, hint_text, suggestions, "
        "model_used, tokens_used, cost) VALUES (31, 7, 77, 'question', 'Pergunta sobre prazo', '[]', 'gpt-3.5-turbo', 90, 0.000135)"
    )
    assert db.one("SELECT viewed_at, feedback FROM realtime_coaching_hints WHERE id = %s", (hint_id,)) == {
        "viewed_at": None,
        "feedback": None,
    }
    db.execute(
        "INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type) "
        "VALUES (31, 'contact', 501, 'Qual o prazo de entrega?', 'text')"
    )
    db.execute("UPDATE settings SET `value` = %s WHERE `key` = 'conversation_settings'", ('{"realtime_coaching":{"enabled":false}}',))

    # foreign keys keep their meaning
    db.execute("DELETE FROM messages WHERE id = 77")
    assert db.scalar("SELECT message_id FROM realtime_coaching_hints WHERE id = 1001") is None
    db.execute("DELETE FROM conversations WHERE id = 31")
    assert db.scalar("SELECT COUNT(*) FROM realtime_coaching_hints WHERE conversation_id = 31") == 0
    db.close()


def test_migrate_creates_the_schema_on_an_empty_database(stack, scratch_database):
    name, db = scratch_database("coaching_fresh")
    run_migrate(stack, name)
    fingerprint = schema_fingerprint(db)
    recorded = migrations_recorded(db)
    run_migrate(stack, name)
    assert schema_fingerprint(db) == fingerprint, "second migrate changed the schema"
    assert sorted(migrations_recorded(db)) == sorted(recorded)
    assert set(migration_files(stack)) <= set(recorded)
    check_original_schema(db)

    # the original listener's INSERT works on the product's own schema too
    insert_row(db, "users", {"id": 5, "name": "Ana", "email": "ana@x.example", "password": "x", "role": "agent"})
    insert_row(db, "conversations", {"id": 9, "agent_id": 5, "status": "open"})
    insert_row(db, "messages", {"id": 12, "conversation_id": 9, "sender_type": "contact", "content": "Olá, quanto custa?"})
    db.execute("INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status) VALUES (12, 9, 5, 'pending')")
    assert db.scalar("SELECT status FROM coaching_queue WHERE message_id = 12") == "pending"
    db.close()


def test_stack_database_has_the_original_schema(db, stack):
    check_original_schema(db)
    names = migrations_recorded(db)
    assert len(names) == len(set(names))
    assert set(migration_files(stack)) <= set(names)
