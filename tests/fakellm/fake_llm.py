#!/usr/bin/env python3
"""Fake OpenAI-compatible chat-completions server for tests and benchmarks.

Standard library only (Python 3.11+).  One asyncio event loop serves every
connection, so hundreds of requests can be in flight at once (each one only
costs a coroutine while it "thinks" for ``latency_ms``).

Run::

    python3 tests/fakellm/fake_llm.py --port 0 --host 127.0.0.1 \
        [--latency-ms 0] [--port-file PATH] [--require-key KEY]

See README.md next to this file for the answer rules and the control API.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import json
import math
import os
import random
import re
import signal
import sys
import time
from collections import deque
from typing import Any, Optional

# --------------------------------------------------------------------------
# Constants

SERVER_NAME = "fake-llm/1.0"
COMPLETION_PATHS = ("/v1/chat/completions", "/chat/completions")
MODELS_PATHS = ("/v1/models", "/models")
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 200
MAX_BODY_BYTES = 32 * 1024 * 1024
IDLE_TIMEOUT_S = 300.0
DEFAULT_HANG_S = 600.0

MODES = (
    "normal",
    "malformed_json",
    "non_json",
    "oversized",
    "hang",
    "slow_drip",
    "empty_choices",
    "wrong_schema",
    "prompt_echo",
    "disconnect",
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

VALID_ROLES = ("system", "user", "assistant", "tool", "developer", "function")

REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Scenario fields and their defaults.  ``latency_ms`` default is replaced by
# the --latency-ms command-line value.
SCENARIO_DEFAULTS: dict[str, Any] = {
    "mode": "normal",
    "status": 200,
    "latency_ms": 0,
    "latency_jitter_ms": 0,
    "retry_after": None,
    "usage": None,
    "content": None,
    "variant_types": None,
    "variant_latency_ms": None,
    "drip_ms": 200,
    "hang_seconds": DEFAULT_HANG_S,
    "oversized_bytes": 2_000_000,
    "finish_reason": "stop",
    "error_message": None,
    "error_type": None,
    "error_code": None,
    "headers": None,
}


class ScenarioError(ValueError):
    pass


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def validate_scenario_fields(s: Any, *, allow_times: bool = True) -> dict[str, Any]:
    """Check a (partial) scenario object; return a copy with known keys only."""
    if not isinstance(s, dict):
        raise ScenarioError("scenario must be a JSON object")
    out: dict[str, Any] = {}
    for k, v in s.items():
        if k == "times":
            if not allow_times:
                continue
            if v is not None and (not _is_int(v) or v < 1):
                raise ScenarioError("times must be a positive integer or null")
            out[k] = v
            continue
        if k == "merge":
            if not isinstance(v, bool):
                raise ScenarioError("merge must be a boolean")
            out[k] = v
            continue
        if k not in SCENARIO_DEFAULTS:
            raise ScenarioError(f"unknown scenario field: {k}")
        if k == "mode":
            if v not in MODES:
                raise ScenarioError(f"mode must be one of {', '.join(MODES)}")
        elif k == "status":
            if not _is_int(v) or not (100 <= v <= 599):
                raise ScenarioError("status must be an integer HTTP status")
        elif k in ("latency_ms", "latency_jitter_ms", "drip_ms", "hang_seconds"):
            if not _is_num(v) or v < 0:
                raise ScenarioError(f"{k} must be a non-negative number")
        elif k == "oversized_bytes":
            if not _is_int(v) or v < 1 or v > 64 * 1024 * 1024:
                raise ScenarioError("oversized_bytes must be an integer in 1..67108864")
        elif k == "retry_after":
            if v is not None and not _is_num(v) and not isinstance(v, str):
                raise ScenarioError("retry_after must be a number, a string or null")
        elif k == "usage":
            if v is not None and v != "omit":
                if not isinstance(v, dict):
                    raise ScenarioError('usage must be an object, "omit" or null')
                for uk, uv in v.items():
                    if uk not in ("prompt_tokens", "completion_tokens", "total_tokens"):
                        raise ScenarioError(f"unknown usage field: {uk}")
                    if not _is_int(uv) or uv < 0:
                        raise ScenarioError(f"usage.{uk} must be a non-negative integer")
        elif k == "content":
            if v is not None and not isinstance(v, str):
                raise ScenarioError("content must be a string or null")
        elif k == "variant_types":
            if v is not None:
                if not isinstance(v, dict):
                    raise ScenarioError("variant_types must be an object or null")
                for vk, vv in v.items():
                    if vv is not None and not isinstance(vv, str):
                        raise ScenarioError("variant_types values must be strings or null")
                v = {str(vk).lower(): vv for vk, vv in v.items()}
        elif k == "variant_latency_ms":
            if v is not None:
                if not isinstance(v, dict) or not all(_is_num(x) and x >= 0 for x in v.values()):
                    raise ScenarioError("variant_latency_ms must map variant keys to non-negative numbers")
                v = {str(vk).lower(): vv for vk, vv in v.items()}
        elif k == "finish_reason":
            if v is not None and not isinstance(v, str):
                raise ScenarioError("finish_reason must be a string or null")
        elif k in ("error_message", "error_type", "error_code"):
            if v is not None and not isinstance(v, str):
                raise ScenarioError(f"{k} must be a string or null")
        elif k == "headers":
            if v is not None:
                if not isinstance(v, dict) or not all(
                    isinstance(hk, str) and isinstance(hv, (str, int, float)) for hk, hv in v.items()
                ):
                    raise ScenarioError("headers must map names to strings")
                for hk, hv in v.items():
                    if any(c in hk + str(hv) for c in "\r\n"):
                        raise ScenarioError("headers must not contain line breaks")
        out[k] = v
    return out


# --------------------------------------------------------------------------
# Answer rules

MARKER_RE = re.compile(r"\[\[\s*type\s*:\s*([a-z0-9_\-]+)\s*\]\]")
NO_HINT_MARKER_RE = re.compile(r"\[\[\s*no[_ -]?hint\s*\]\]")
VARIANT_RE = re.compile(r"variant:([a-z0-9][a-z0-9_.\-]*)")
CUSTOMER_TAG_RE = re.compile(
    r"<(customer_message|message)>(.*?)</\1>", re.DOTALL | re.IGNORECASE
)
CUSTOMER_HEADING_RE = re.compile(
    r"^[ \t]*(?:customer message|mensage(?:m|ns) d[oa] cliente)[^\n]*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
CUSTOMER_LINE_RE = re.compile(
    r"^[ \t]*(?:\[[^\]\n]*\][ \t]*)?(?:customer|cliente|client|contact|contato)[ \t]*:[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)

# Ordered: the first type with a matching pattern wins.
KEYWORD_RULES: list[tuple[str, str, list[str]]] = [
    ("escalation_needed", "pt", [r"\bgerente\b", r"\bsupervisor[a]?\b", r"\bprocon\b", r"\badvogad[oa]\b",
                                 r"\breclame aqui\b", r"\bprocess(ar|o) voc"]),
    ("escalation_needed", "en", [r"\bmanager\b", r"\bsupervisor\b", r"\blawyer\b", r"\bsue you\b",
                                 r"\bspeak to (your|a) (boss|superior)\b"]),
    ("negative_sentiment", "pt", [r"\bp[ée]ssim[oa]\b", r"\bhorr[íi]vel\b", r"\bdecepcionad[oa]\b",
                                  r"\binsatisfeit[oa]\b", r"\birritad[oa]\b", r"\babsurdo\b"]),
    ("negative_sentiment", "en", [r"\bterrible\b", r"\bawful\b", r"\bhorrible\b", r"\bdisappointed\b",
                                  r"\bunhappy\b", r"\bangry\b", r"\bfurious\b", r"\bridiculous\b"]),
    ("objection", "pt", [r"\bcar[oa]s?\b", r"\bpre[çc]o\b", r"\bmuito alto\b", r"\bmais barat[oa]\b"]),
    ("objection", "en", [r"\bexpensive\b", r"\bprice", r"\btoo much\b", r"\bcheaper\b", r"\bcostly\b"]),
    ("closing_opportunity", "pt", [r"\bfech(ar|amos|a|ado)\b", r"\bonde assino\b", r"\bassinar\b",
                                   r"\bmanda(r)? o contrato\b"]),
    ("closing_opportunity", "en", [r"\bclose the deal\b", r"\bwhere do i sign\b", r"\bsend (me )?the contract\b",
                                   r"\blet'?s do it\b", r"\bready to sign\b"]),
    ("buying_signal", "pt", [r"\bcompr(ar|o|aria)\b", r"\bpag(ar|o|amento)\b", r"\bparcel(ar|as|ado)\b"]),
    ("buying_signal", "en", [r"\bbuy", r"\bpay", r"\bpurchase"]),
    ("opportunity", "pt", [r"\btamb[ée]m preciso\b", r"\bmais unidades\b", r"\bupgrade\b", r"\batacado\b"]),
    ("opportunity", "en", [r"\balso need\b", r"\bmore units\b", r"\bupgrade\b", r"\bin bulk\b"]),
    ("question", "pt", [r"\bcomo funciona\b", r"\bvoc[êe]s t[êe]m\b", r"\bqual (o|a) prazo\b",
                        r"\btem garantia\b"]),
    ("question", "en", [r"\bhow does\b", r"\bdo you (have|offer)\b", r"\bwhat is the warranty\b",
                        r"\bhow long does\b"]),
]
_COMPILED_RULES = [(t, lang, [re.compile(p) for p in pats]) for t, lang, pats in KEYWORD_RULES]

HINT_TEXTS = {
    "en": {
        "objection": ("The customer is raising a price objection. Acknowledge it and show the value before talking discounts.",
                      ["I understand. Can I show you what is included for that price?",
                       "Which part of the cost worries you most?"]),
        "opportunity": ("There is room to offer more. Ask about their needs and suggest a complementary option.",
                        ["Would a larger package be a better fit for you?",
                         "Many customers also add our extended plan. Want details?"]),
        "question": ("The customer asked an important question. Answer it clearly and check it was understood.",
                     ["Great question! Here is how it works:",
                      "Does that answer your question?"]),
        "negative_sentiment": ("The customer is unhappy. Apologise, show empathy and offer a concrete next step.",
                               ["I am sorry about this. Let me fix it for you right now.",
                                "I understand your frustration. Here is what I can do:"]),
        "buying_signal": ("The customer shows intent to buy. Make the next step easy: options, payment, delivery.",
                          ["Great! Shall I send you the payment options?",
                           "I can place the order for you now."]),
        "closing_opportunity": ("This is the moment to close. Summarise the offer and ask for the decision.",
                                ["Shall we confirm your order today?",
                                 "I will send the contract now, okay?"]),
        "escalation_needed": ("The customer wants a manager. Involve a supervisor and tell the customer what happens next.",
                              ["I will bring in my supervisor right away.",
                               "Let me escalate this so it is solved quickly."]),
    },
    "pt": {
        "objection": ("O cliente levantou uma objeção de preço. Reconheça e mostre o valor antes de falar em desconto.",
                      ["Entendo. Posso mostrar tudo o que está incluído nesse valor?",
                       "Qual parte do custo mais preocupa você?"]),
        "opportunity": ("Há espaço para oferecer mais. Pergunte as necessidades e sugira uma opção complementar.",
                        ["Um pacote maior atenderia melhor você?",
                         "Muitos clientes também incluem o plano estendido. Quer detalhes?"]),
        "question": ("O cliente fez uma pergunta importante. Responda com clareza e confirme o entendimento.",
                     ["Ótima pergunta! Funciona assim:",
                      "Isso responde à sua dúvida?"]),
        "negative_sentiment": ("O cliente está insatisfeito. Peça desculpas, mostre empatia e ofereça um próximo passo concreto.",
                               ["Sinto muito por isso. Vou resolver agora mesmo.",
                                "Entendo sua frustração. Veja o que posso fazer:"]),
        "buying_signal": ("O cliente mostra intenção de compra. Facilite o próximo passo: opções, pagamento, entrega.",
                          ["Ótimo! Posso enviar as formas de pagamento?",
                           "Posso fazer o pedido para você agora."]),
        "closing_opportunity": ("É o momento de fechar. Resuma a oferta e peça a decisão.",
                                ["Vamos confirmar seu pedido hoje?",
                                 "Envio o contrato agora, pode ser?"]),
        "escalation_needed": ("O cliente quer falar com um gerente. Acione um supervisor e diga ao cliente o que vai acontecer.",
                              ["Vou chamar meu supervisor agora mesmo.",
                               "Vou escalar para resolvermos rapidamente."]),
    },
}
GENERIC_HINT = ("Hint of type {t}.", ["Suggestion one.", "Suggestion two."])


def message_text(content: Any) -> str:
    """Text of one message's content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, str):
                parts.append(p)
            elif isinstance(p, dict) and isinstance(p.get("text"), str):
                parts.append(p["text"])
        return "".join(parts)
    return ""


def customer_segment(text: str) -> str:
    """The customer's words inside a rendered prompt, or the whole text."""
    tags = CUSTOMER_TAG_RE.findall(text)
    if tags:
        return tags[-1][1]
    headings = list(CUSTOMER_HEADING_RE.finditer(text))
    if headings:
        rest = text[headings[-1].end():].strip()
        try:  # a JSON string or array of strings right after the heading
            value, _ = json.JSONDecoder().raw_decode(rest)
            if isinstance(value, str):
                return value
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return "\n".join(value)
        except ValueError:
            pass
        return rest
    lines = CUSTOMER_LINE_RE.findall(text)
    if lines:
        return lines[-1]
    return text


def find_variant(messages: list[dict]) -> Optional[str]:
    # system prompts first, then the others in order
    ordered = [m for m in messages if m.get("role") in ("system", "developer")] + [
        m for m in messages if m.get("role") not in ("system", "developer")
    ]
    for m in ordered:
        mt = VARIANT_RE.search(message_text(m.get("content")).lower())
        if mt:
            return mt.group(1)
    return None


def classify(last_user: str) -> tuple[Optional[str], str]:
    """(hint_type or None, language) for the last user message."""
    low = last_user.lower()
    if NO_HINT_MARKER_RE.search(low):
        return None, "en"
    markers = MARKER_RE.findall(low)
    if markers:
        t = markers[-1]
        if t in ("none", "no_hint"):
            return None, "en"
        lang = "pt" if re.search(r"\b(lang(uage)?:\s*pt|pt-br|portugu[êe]s)\b", low) else "en"
        return t, lang
    seg = customer_segment(last_user).lower()
    for t, lang, pats in _COMPILED_RULES:
        for p in pats:
            if p.search(seg):
                return t, lang
    return None, "en"


def build_contract(hint_type: Optional[str], lang: str, variant: Optional[str]) -> dict:
    if hint_type is None:
        return {"has_hint": False, "hint_type": None, "hint_text": "", "suggestions": []}
    text, sugg = HINT_TEXTS.get(lang, HINT_TEXTS["en"]).get(hint_type) or (
        GENERIC_HINT[0].format(t=hint_type), GENERIC_HINT[1])
    if variant:
        text = f"[{variant}] {text}"
    return {"has_hint": True, "hint_type": hint_type, "hint_text": text[:280], "suggestions": list(sugg)}


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def ceil4(n: int) -> int:
    return math.ceil(n / 4)


# --------------------------------------------------------------------------
# Request validation


def validate_completion_request(body: Any) -> Optional[tuple[str, Optional[str]]]:
    """Return (message, param) describing the first problem, or None."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object.", None
    model = body.get("model")
    if "model" not in body:
        return "you must provide a model parameter", "model"
    if not isinstance(model, str) or not model.strip():
        return "model must be a non-empty string", "model"
    msgs = body.get("messages")
    if "messages" not in body:
        return "Missing required parameter: 'messages'.", "messages"
    if not isinstance(msgs, list) or not msgs:
        return "'messages' must be a non-empty array.", "messages"
    for i, m in enumerate(msgs):
        p = f"messages[{i}]"
        if not isinstance(m, dict):
            return f"Invalid type for '{p}': expected an object.", p
        role = m.get("role")
        if not isinstance(role, str):
            return f"Missing required parameter: '{p}.role'.", f"{p}.role"
        if role not in VALID_ROLES:
            return (f"Invalid value: '{role}'. Supported values are: {', '.join(repr(r) for r in VALID_ROLES)}.",
                    f"{p}.role")
        if "content" not in m:
            return f"Missing required parameter: '{p}.content'.", f"{p}.content"
        c = m.get("content")
        if c is None:
            if role != "assistant":
                return f"Invalid type for '{p}.content': expected a string, got null.", f"{p}.content"
        elif isinstance(c, list):
            for j, part in enumerate(c):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    return f"Invalid content part '{p}.content[{j}]'.", f"{p}.content[{j}]"
                if part["type"] == "text" and not isinstance(part.get("text"), str):
                    return f"Invalid type for '{p}.content[{j}].text': expected a string.", f"{p}.content[{j}].text"
        elif not isinstance(c, str):
            return f"Invalid type for '{p}.content': expected a string or an array.", f"{p}.content"
    if "temperature" in body and body["temperature"] is not None:
        t = body["temperature"]
        if not _is_num(t):
            return "Invalid type for 'temperature': expected a number.", "temperature"
        if not (0 <= t <= 2):
            return f"Invalid 'temperature': {t} is not in [0, 2].", "temperature"
    if "top_p" in body and body["top_p"] is not None:
        if not _is_num(body["top_p"]) or not (0 <= body["top_p"] <= 1):
            return "Invalid 'top_p': expected a number in [0, 1].", "top_p"
    for key in ("max_tokens", "max_completion_tokens"):
        if key in body and body[key] is not None:
            v = body[key]
            if not _is_int(v):
                return f"Invalid type for '{key}': expected an integer.", key
            if v < 1:
                return f"Invalid '{key}': integer below minimum value 1.", key
    if "n" in body and body["n"] is not None and body["n"] != 1:
        return "Only n=1 is supported by this server.", "n"
    if body.get("stream"):
        return "Streaming is not supported by this server.", "stream"
    if "response_format" in body and body["response_format"] is not None:
        rf = body["response_format"]
        if not isinstance(rf, dict):
            return "Invalid type for 'response_format': expected an object.", "response_format"
        if rf.get("type") not in ("text", "json_object", "json_schema"):
            return ("Invalid value for 'response_format.type': expected one of 'text', 'json_object', "
                    "'json_schema'.", "response_format.type")
        if rf["type"] == "json_schema" and not isinstance(rf.get("json_schema"), dict):
            return "Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema"
    return None


def error_body(message: str, etype: str = "invalid_request_error", param: Optional[str] = None,
               code: Optional[str] = None) -> dict:
    return {"error": {"message": message, "type": etype, "param": param, "code": code}}


def default_error_for(status: int) -> tuple[str, str, Optional[str]]:
    if status == 429:
        return ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded")
    if status == 401:
        return ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
    if status == 400:
        return ("Bad request.", "invalid_request_error", None)
    if status == 404:
        return ("The model does not exist or you do not have access to it.", "invalid_request_error",
                "model_not_found")
    if status == 503:
        return ("The engine is currently overloaded, please try again later.", "server_error", None)
    if status >= 500:
        return ("The server had an error while processing your request.", "server_error", None)
    return (f"Request failed with status {status}.", "invalid_request_error", None)


# --------------------------------------------------------------------------
# Server state


class State:
    def __init__(self, default_latency_ms: float, log_limit: int):
        self.defaults = dict(SCENARIO_DEFAULTS)
        self.defaults["latency_ms"] = default_latency_ms
        self.log_limit = log_limit
        self.reset()
        self.connections_open = 0
        self.connections_total = 0
        self.started = time.time()

    def reset(self) -> None:
        self.base: dict[str, Any] = dict(self.defaults)
        self.queue: deque[list] = deque()  # [partial scenario, remaining]
        self.log: deque[dict] = deque()
        self.log_dropped = 0
        self.seq = 0
        self.total = 0
        self.by_status: dict[str, int] = {}
        self.by_mode: dict[str, int] = {}
        self.by_variant: dict[str, int] = {}
        self.by_path: dict[str, int] = {}
        # in_flight is a live gauge: requests still running keep counting
        self.in_flight = getattr(self, "in_flight", 0)
        self.max_in_flight = self.in_flight
        self.client_disconnects = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    # scenarios ----------------------------------------------------------
    def set_scenario(self, s: dict) -> dict:
        times = s.pop("times", None)
        merge = s.pop("merge", False)
        if times is None:
            self.base = {**(self.base if merge else self.defaults), **s}
        else:
            self.queue.appendleft([s, times])
        return self.describe()

    def enqueue(self, items: list[dict], replace: bool) -> dict:
        if replace:
            self.queue.clear()
        for it in items:
            times = it.pop("times", None) or 1
            it.pop("merge", None)
            self.queue.append([it, times])
        return self.describe()

    def next_scenario(self) -> tuple[dict, str]:
        if self.queue:
            head = self.queue[0]
            head[1] -= 1
            if head[1] <= 0:
                self.queue.popleft()
            return {**self.base, **head[0]}, "queue"
        return dict(self.base), "base"

    def describe(self) -> dict:
        return {"scenario": self.base,
                "queue": [{**s, "times": n} for s, n in self.queue],
                "queue_length": len(self.queue)}

    # log ------------------------------------------------------------------
    def record(self, entry: dict) -> dict:
        self.seq += 1
        entry["seq"] = self.seq
        self.log.append(entry)
        while len(self.log) > self.log_limit:
            self.log.popleft()
            self.log_dropped += 1
        return entry

    def count_status(self, status: Any) -> None:
        key = str(status)
        self.by_status[key] = self.by_status.get(key, 0) + 1

    def stats(self) -> dict:
        return {
            "total": self.total,
            "by_status": dict(self.by_status),
            "by_mode": dict(self.by_mode),
            "by_variant": dict(self.by_variant),
            "by_path": dict(self.by_path),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "client_disconnects": self.client_disconnects,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "queue_length": len(self.queue),
            "log_size": len(self.log),
            "log_dropped": self.log_dropped,
            "connections_open": self.connections_open,
            "connections_total": self.connections_total,
            "uptime_s": round(time.time() - self.started, 3),
        }


# --------------------------------------------------------------------------
# HTTP plumbing


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    __slots__ = ("method", "target", "path", "query", "version", "headers", "body", "keep_alive")

    def __init__(self) -> None:
        self.method = ""
        self.target = ""
        self.path = ""
        self.query = ""
        self.version = "HTTP/1.1"
        self.headers: dict[str, str] = {}
        self.body = b""
        self.keep_alive = True


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Optional[Request]:
    """Parse one HTTP/1.x request; None on clean EOF before a request."""
    line = b""
    while not line.strip():
        line = await reader.readline()
        if not line:
            return None
        if len(line) > MAX_HEADER_BYTES:
            raise BadRequest(414, "request line too long")
        if not line.endswith(b"\n"):
            return None
    try:
        method, target, version = line.decode("latin-1").strip().split(" ", 2)
    except ValueError:
        raise BadRequest(400, "malformed request line")
    if not version.startswith("HTTP/1."):
        raise BadRequest(505, "unsupported HTTP version")
    req = Request()
    req.method, req.target, req.version = method.upper(), target, version
    path, _, query = target.partition("?")
    req.path, req.query = path, query
    total = len(line)
    while True:
        h = await reader.readline()
        if not h:
            raise BadRequest(400, "connection closed in headers")
        total += len(h)
        if total > MAX_HEADER_BYTES:
            raise BadRequest(431, "headers too large")
        h = h.rstrip(b"\r\n")
        if not h:
            break
        name, sep, value = h.decode("latin-1").partition(":")
        if not sep or not name.strip():
            raise BadRequest(400, "malformed header line")
        if len(req.headers) >= MAX_HEADERS:
            raise BadRequest(431, "too many headers")
        key = name.strip().lower()
        value = value.strip()
        if key in req.headers:
            req.headers[key] += ", " + value
        else:
            req.headers[key] = value
    conn = req.headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        req.keep_alive = "keep-alive" in conn
    else:
        req.keep_alive = "close" not in conn
    te = req.headers.get("transfer-encoding", "").lower()
    cl = req.headers.get("content-length")
    expect = req.headers.get("expect", "").lower()
    if expect == "100-continue" and (te or (cl and cl != "0")):
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    if "chunked" in te:
        chunks = []
        size_total = 0
        while True:
            size_line = await reader.readline()
            if not size_line:
                raise BadRequest(400, "connection closed in chunked body")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest(400, "bad chunk size")
            if size == 0:
                while True:  # trailers
                    t = await reader.readline()
                    if not t or not t.strip():
                        break
                break
            size_total += size
            if size_total > MAX_BODY_BYTES:
                raise BadRequest(413, "request body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        req.body = b"".join(chunks)
    elif cl is not None:
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            raise BadRequest(400, "bad Content-Length")
        if n > MAX_BODY_BYTES:
            raise BadRequest(413, "request body too large")
        req.body = await reader.readexactly(n) if n else b""
    return req


def http_date() -> str:
    return email.utils.formatdate(usegmt=True)


def build_head(status: int, headers: list[tuple[str, str]], length: int, keep_alive: bool) -> bytes:
    reason = REASONS.get(status, "Status")
    lines = [f"HTTP/1.1 {status} {reason}", f"Date: {http_date()}", f"Server: {SERVER_NAME}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append(f"Content-Length: {length}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Response:
    def __init__(self, status: int, body: bytes, content_type: str = "application/json",
                 headers: Optional[list[tuple[str, str]]] = None):
        self.status = status
        self.body = body
        self.headers = [("Content-Type", content_type)] + (headers or [])


def json_response(status: int, obj: Any, headers: Optional[list[tuple[str, str]]] = None) -> Response:
    return Response(status, (dumps(obj)).encode("utf-8"), "application/json", headers)


# --------------------------------------------------------------------------
# The server


class FakeLLM:
    def __init__(self, state: State, require_key: Optional[str], verbose: bool):
        self.state = state
        self.require_key = require_key
        self.verbose = verbose

    # connection loop ----------------------------------------------------
    async def handle_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        st = self.state
        st.connections_open += 1
        st.connections_total += 1
        peer = writer.get_extra_info("peername")
        try:
            while True:
                try:
                    req = await asyncio.wait_for(read_request(reader, writer), IDLE_TIMEOUT_S)
                except asyncio.TimeoutError:
                    break
                except BadRequest as e:
                    await self.send(writer, json_response(e.status, error_body(e.message)), False)
                    break
                except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
                    break
                if req is None:
                    break
                keep = await self.dispatch(req, reader, writer, peer)
                if not keep or not req.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            st.connections_open -= 1
            try:
                writer.close()
            except Exception:
                pass

    async def send(self, writer: asyncio.StreamWriter, resp: Response, keep_alive: bool) -> None:
        writer.write(build_head(resp.status, resp.headers, len(resp.body), keep_alive) + resp.body)
        await writer.drain()

    async def dispatch(self, req: Request, reader, writer, peer) -> bool:
        path = req.path.rstrip("/") or "/"
        if path in COMPLETION_PATHS:
            if req.method != "POST":
                await self.send(writer, json_response(405, error_body(
                    f"Invalid method for {path}: use POST.")), req.keep_alive)
                return True
            return await self.completion(req, path, reader, writer, peer)
        if path.startswith("/_control/"):
            resp = self.control(req, path)
            await self.send(writer, resp, req.keep_alive)
            return True
        if path in MODELS_PATHS and req.method == "GET":
            now = int(time.time())
            models = ["gpt-3.5-turbo", "gpt-4o-mini", "gpt-4o", "fake-model"]
            await self.send(writer, json_response(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": now, "owned_by": "fake-llm"} for m in models]}),
                req.keep_alive)
            return True
        if path in ("/health", "/healthz") and req.method == "GET":
            await self.send(writer, json_response(200, {"ok": True}), req.keep_alive)
            return True
        await self.send(writer, json_response(404, error_body(
            f"Unknown request URL: {req.method} {req.path}.", code="unknown_url")), req.keep_alive)
        return True

    # control API ---------------------------------------------------------
    def control(self, req: Request, path: str) -> Response:
        st = self.state
        name = path[len("/_control/"):]
        body: Any = None
        if req.method == "POST" and req.body.strip():
            try:
                body = json.loads(req.body)
            except (ValueError, UnicodeDecodeError):
                return json_response(400, {"error": "body is not valid JSON"})
        try:
            if name == "scenario":
                if req.method == "GET":
                    return json_response(200, st.describe())
                if req.method == "POST":
                    s = validate_scenario_fields(body if body is not None else {})
                    return json_response(200, st.set_scenario(s))
            elif name == "queue":
                if req.method == "GET":
                    return json_response(200, st.describe())
                if req.method == "POST":
                    replace = False
                    items = body
                    if isinstance(body, dict):
                        items = body.get("scenarios")
                        replace = bool(body.get("replace", False))
                    if not isinstance(items, list):
                        raise ScenarioError('queue body must be a list of scenarios or {"scenarios": [...]}')
                    checked = [validate_scenario_fields(x) for x in items]
                    return json_response(200, st.enqueue(checked, replace))
                if req.method == "DELETE":
                    st.queue.clear()
                    return json_response(200, st.describe())
            elif name == "reset":
                if req.method == "POST":
                    st.reset()
                    return json_response(200, {"ok": True, **st.describe()})
            elif name == "requests":
                if req.method == "GET":
                    q = parse_query(req.query)
                    since = int(q.get("since", "0") or 0)
                    limit = int(q.get("limit", "0") or 0)
                    with_body = q.get("body", "1") not in ("0", "false", "no")
                    items = [e for e in st.log if e["seq"] > since]
                    if limit > 0:
                        items = items[-limit:]
                    if not with_body:
                        items = [{k: v for k, v in e.items() if k not in ("body", "body_raw")} for e in items]
                    return json_response(200, {"requests": items, "count": len(items),
                                               "last_seq": st.seq, "dropped": st.log_dropped})
            elif name == "stats":
                if req.method == "GET":
                    return json_response(200, st.stats())
            else:
                return json_response(404, {"error": f"unknown control endpoint: {name}"})
            return json_response(405, {"error": f"method {req.method} not allowed on /_control/{name}"})
        except ScenarioError as e:
            return json_response(400, {"error": str(e)})
        except ValueError as e:
            return json_response(400, {"error": f"bad query parameter: {e}"})

    # completions -----------------------------------------------------------
    async def completion(self, req: Request, path: str, reader, writer, peer) -> bool:
        st = self.state
        received = time.time()
        t0 = time.monotonic()
        auth = req.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        body: Any = None
        body_raw: Optional[str] = None
        parse_error = None
        try:
            body = json.loads(req.body) if req.body else None
            if body is None:
                parse_error = "We could not parse the JSON body of your request: the body is empty."
        except (ValueError, UnicodeDecodeError) as e:
            parse_error = f"We could not parse the JSON body of your request. ({e.__class__.__name__})"
            body_raw = req.body[:10000].decode("utf-8", "replace")

        entry = st.record({
            "received_at": received,
            "received_iso": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(received)) + f".{int(received * 1000) % 1000:03d}Z",
            "path": path,
            "method": req.method,
            "client": f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer),
            "headers": {
                "authorization_present": bool(token),
                "authorization_scheme": auth.split(" ", 1)[0] if auth else None,
                "authorization_key_suffix": token[-4:] if token else None,
                "content_type": req.headers.get("content-type"),
                "user_agent": req.headers.get("user-agent"),
                "expect": req.headers.get("expect"),
                "idempotency_key": req.headers.get("idempotency-key"),
                "x_request_id": req.headers.get("x-request-id"),
                "openai_organization": req.headers.get("openai-organization"),
            },
            "body": body,
            "body_raw": body_raw,
            "body_bytes": len(req.body),
            "status": None,
            "mode": None,
            "variant": None,
            "scenario_source": None,
            "duration_ms": None,
            "disconnected": False,
            "completed": False,
        })
        st.total += 1
        st.by_path[path] = st.by_path.get(path, 0) + 1
        st.in_flight += 1
        st.max_in_flight = max(st.max_in_flight, st.in_flight)
        try:
            return await self._completion(req, entry, token, body, parse_error, reader, writer, t0)
        finally:
            st.in_flight -= 1
            entry["duration_ms"] = round((time.monotonic() - t0) * 1000, 3)
            if self.verbose:
                print(f"{entry['received_iso']} {path} status={entry['status']} mode={entry['mode']} "
                      f"{entry['duration_ms']}ms", file=sys.stderr, flush=True)

    async def _finish(self, writer, entry, resp: Response, keep_alive: bool) -> bool:
        st = self.state
        entry["status"] = resp.status
        st.count_status(resp.status)
        try:
            await self.send(writer, resp, keep_alive)
        except (ConnectionError, RuntimeError):
            entry["disconnected"] = True
            st.client_disconnects += 1
            return False
        entry["completed"] = True
        return keep_alive

    async def _completion(self, req, entry, token, body, parse_error, reader, writer, t0) -> bool:
        st = self.state
        keep = req.keep_alive
        if not token or (self.require_key is not None and token != self.require_key):
            msg = ("You didn't provide an API key. You need to provide your API key in an Authorization "
                   "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).") if not token else \
                "Incorrect API key provided."
            code = None if not token else "invalid_api_key"
            return await self._finish(writer, entry, json_response(
                401, error_body(msg, "invalid_request_error", None, code)), keep)
        if parse_error:
            return await self._finish(writer, entry, json_response(
                400, error_body(parse_error, "invalid_request_error")), keep)
        problem = validate_completion_request(body)
        if problem:
            return await self._finish(writer, entry, json_response(
                400, error_body(problem[0], "invalid_request_error", problem[1])), keep)

        sc, source = st.next_scenario()
        mode = sc["mode"]
        messages = body["messages"]
        variant = find_variant(messages)
        entry["mode"] = mode
        entry["variant"] = variant
        entry["scenario_source"] = source
        st.by_mode[mode] = st.by_mode.get(mode, 0) + 1
        if variant:
            st.by_variant[variant] = st.by_variant.get(variant, 0) + 1

        latency = float(sc["latency_ms"])
        vl = sc.get("variant_latency_ms")
        if vl and variant and variant in vl:
            latency = float(vl[variant])
        if sc["latency_jitter_ms"]:
            latency += random.uniform(0, float(sc["latency_jitter_ms"]))

        if mode == "disconnect":
            if latency > 0:
                await asyncio.sleep(latency / 1000.0)
            entry["status"] = "disconnect"
            st.count_status("no_response")
            try:
                sock = writer.get_extra_info("socket")
                if sock is not None:  # RST rather than a polite FIN
                    import socket as _s, struct as _st
                    sock.setsockopt(_s.SOL_SOCKET, _s.SO_LINGER, _st.pack("ii", 1, 0))
            except OSError:
                pass
            writer.close()
            return False

        if mode == "hang":
            entry["status"] = "hang"
            st.count_status("no_response")
            deadline = time.monotonic() + float(sc["hang_seconds"])
            try:
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    data = await asyncio.wait_for(reader.read(65536), left)
                    if not data:
                        entry["disconnected"] = True
                        st.client_disconnects += 1
                        break
            except (asyncio.TimeoutError, ConnectionError):
                pass
            return False

        if latency > 0:
            await asyncio.sleep(latency / 1000.0)

        resp = self.build_response(sc, body, messages, variant)
        if mode == "slow_drip":
            return await self._drip(writer, entry, resp, float(sc["drip_ms"]), keep)
        return await self._finish(writer, entry, resp, keep)

    async def _drip(self, writer, entry, resp: Response, drip_ms: float, keep: bool) -> bool:
        st = self.state
        entry["status"] = resp.status
        st.count_status(resp.status)
        try:
            writer.write(build_head(resp.status, resp.headers, len(resp.body), keep))
            await writer.drain()
            for i in range(len(resp.body)):
                await asyncio.sleep(drip_ms / 1000.0)
                if writer.is_closing():
                    raise ConnectionResetError
                writer.write(resp.body[i:i + 1])
                await writer.drain()
        except (ConnectionError, RuntimeError):
            entry["disconnected"] = True
            st.client_disconnects += 1
            return False
        entry["completed"] = True
        return keep

    def build_response(self, sc: dict, body: dict, messages: list, variant: Optional[str]) -> Response:
        st = self.state
        status = sc["status"]
        mode = sc["mode"]
        headers: list[tuple[str, str]] = []
        if sc.get("retry_after") is not None:
            ra = sc["retry_after"]
            if isinstance(ra, float) and ra.is_integer():
                ra = int(ra)
            headers.append(("Retry-After", str(ra)))
        for hk, hv in (sc.get("headers") or {}).items():
            headers.append((hk, str(hv)))
        req_id = f"req_fake_{st.seq}"
        headers.append(("x-request-id", req_id))

        if mode == "non_json":
            html = (f"<html><head><title>{status} {REASONS.get(status, '')}</title></head>"
                    f"<body><h1>{status} {REASONS.get(status, '')}</h1><p>upstream said no</p></body></html>\n")
            return Response(status, html.encode(), "text/html; charset=utf-8", headers)

        if status != 200:
            msg, etype, code = default_error_for(status)
            return json_response(status, error_body(
                sc.get("error_message") or msg, sc.get("error_type") or etype, None,
                sc.get("error_code") if sc.get("error_code") is not None else code), headers)

        all_text_len = sum(len(message_text(m.get("content"))) for m in messages)
        last_user = ""
        for m in reversed(messages):
            if m.get("role") == "user":
                last_user = message_text(m.get("content"))
                break

        content: Optional[str]
        if mode == "malformed_json":
            content = '{"has_hint": true, "hint_type": "objection", "hint_text": "The customer thinks it is'
        elif mode == "wrong_schema":
            content = dumps({"has_hint": True, "hint_type": "banana", "hint_text": "x" * 1000,
                             "suggestions": ["one", "two", "three", "four", "five"]})
        elif mode == "oversized":
            n = int(sc["oversized_bytes"])
            content = dumps({"has_hint": True, "hint_type": "objection", "hint_text": "A" * n,
                             "suggestions": ["ok"]})
        elif mode == "prompt_echo":
            content = self.echo_content(last_user, variant)
        elif sc.get("content") is not None:
            content = sc["content"]
        else:
            htype, lang = classify(last_user)
            vt = sc.get("variant_types")
            if vt and variant and variant in vt:
                htype = vt[variant] or None
                if htype in ("none", "no_hint"):
                    htype = None
            content = dumps(build_contract(htype, lang, variant))

        choices: list = []
        if mode != "empty_choices":
            choices = [{"index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": sc.get("finish_reason") or "stop"}]
        prompt_tokens = ceil4(all_text_len)
        completion_tokens = ceil4(len(content)) if mode != "empty_choices" else 0
        u = sc.get("usage")
        resp_obj: dict[str, Any] = {
            "id": f"chatcmpl-fake{st.seq:08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        if u != "omit":
            if isinstance(u, dict):
                prompt_tokens = u.get("prompt_tokens", prompt_tokens)
                completion_tokens = u.get("completion_tokens", completion_tokens)
            total = (u or {}).get("total_tokens", prompt_tokens + completion_tokens) if isinstance(u, dict) \
                else prompt_tokens + completion_tokens
            resp_obj["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                 "total_tokens": total}
            st.prompt_tokens += prompt_tokens
            st.completion_tokens += completion_tokens
        return json_response(200, resp_obj, headers)

    @staticmethod
    def echo_content(last_user: str, variant: Optional[str]) -> str:
        """A gullible model: obeys JSON found in the customer's words, else echoes them."""
        seg = customer_segment(last_user)
        start, end = seg.find("{"), seg.rfind("}")
        if 0 <= start < end:
            candidate = seg[start:end + 1]
            try:
                if isinstance(json.loads(candidate), dict):
                    return candidate
            except ValueError:
                pass
        htype, _ = classify(last_user)
        text = seg.strip()
        if variant:
            text = f"[{variant}] {text}"
        return dumps({"has_hint": True, "hint_type": htype or "question", "hint_text": text,
                      "suggestions": [seg.strip()]})


def parse_query(q: str) -> dict[str, str]:
    from urllib.parse import parse_qsl
    return dict(parse_qsl(q, keep_blank_values=True))


# --------------------------------------------------------------------------
# Entry point


async def amain(args: argparse.Namespace) -> int:
    state = State(args.latency_ms, args.log_limit)
    app = FakeLLM(state, args.require_key, args.verbose)
    server = await asyncio.start_server(app.handle_conn, host=args.host, port=args.port,
                                        backlog=args.backlog, limit=MAX_HEADER_BYTES * 2,
                                        reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"LISTENING {port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    async with server:
        await stop.wait()
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Fake OpenAI-compatible chat-completions server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the chosen port to this file")
    p.add_argument("--latency-ms", type=float, default=0.0, help="default latency of every answer")
    p.add_argument("--require-key", default=None,
                   help="accept only this bearer key (default: any non-empty key)")
    p.add_argument("--log-limit", type=int, default=200_000,
                   help="keep at most this many requests in the request log")
    p.add_argument("--backlog", type=int, default=4096)
    p.add_argument("--verbose", action="store_true", help="one line per completion on stderr")
    args = p.parse_args(argv)
    if args.latency_ms < 0:
        p.error("--latency-ms must be >= 0")
    try:
        return asyncio.run(amain(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
