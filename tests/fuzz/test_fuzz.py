"""A bounded fuzz suite (fixed seed, a few seconds per target, under a minute in all): `.co`
text, YAML, expressions and HTTP bodies of both servers. Anything but the documented outcome
fails: a parse result or ColangSyntaxError; a config or ConfigError/ColangSyntaxError; a value
or FlowEvaluationError (ExpressionError, ExpressionLimitError); an HTTP answer that is JSON
with a status below 500."""
from __future__ import annotations

import asyncio
import json
import string
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from rails import RailsConfig
from rails.errors import ColangSyntaxError, ConfigError, FlowEvaluationError
from rails.lang import compile_expression, parse

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

# -- `.co` text ------------------------------------------------------------------------------

_WORDS = ["define", "flow", "subflow", "user", "bot", "if", "else", "when", "while", "execute",
          "$x", "=", "...", '"hi"', '"', "#", "stop", "return", "do", "meta", "priority", "1",
          "else if", "else when", "event", "create", "label", "goto", "break", "$a.b", "(", ")",
          "[", "]", "{", "}", ":", ",", "not", "and", "or", "True", "None", "'x'", '"""',
          "import", "\\", "@active", "$y = execute a(b=1)", "user ...", "bot $x"]
_line = st.tuples(st.integers(0, 6), st.lists(st.sampled_from(_WORDS), min_size=0, max_size=6),
                  st.text(alphabet=string.printable, max_size=6))
_colang = st.lists(_line, max_size=14).map(
    lambda lines: "\n".join("  " * depth + " ".join(words) + (" " + noise if noise else "")
                            for depth, words, noise in lines))


@seed(20261201)
@FUZZ
@given(_colang)
def test_colang_text_parses_or_is_a_syntax_error(text):
    try:
        parse(text, "fuzz.co")
    except ColangSyntaxError:
        pass


@seed(20261202)
@FUZZ
@given(_colang)
def test_colang_configs_load_or_are_config_errors(text):
    try:
        RailsConfig.from_content(colang_content=text)
    except (ColangSyntaxError, ConfigError):
        pass


# -- YAML ------------------------------------------------------------------------------------

_KEYS = ["models", "rails", "input", "output", "flows", "instructions", "type", "engine",
         "model", "parameters", "dialog", "user_messages", "embeddings_only", "custom_data",
         "prompts", "task", "content", "sample_conversation", "lowest_temperature", "errors",
         "actions_server", "import_paths", "streaming", "passthrough", "config", "core",
         "inptu", "api_key_env_var", "tracing", "limits"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=True), st.text(max_size=8),
                     st.sampled_from(["2024-13-01", "!!int abc", "*a", "&a x", "[", "{", ":",
                                      "- x", "yes", "~", "0x1F", "1e999", "@x", "%TAG"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)),
    max_leaves=12)
_documents = st.dictionaries(st.sampled_from(_KEYS), _values, max_size=5)


def _as_yaml(document: dict, raw: str) -> str:
    import yaml

    return yaml.safe_dump(document) + raw


@seed(20261203)
@FUZZ
@given(_documents, st.text(alphabet=string.printable, max_size=20))
def test_yaml_loads_or_is_a_config_error(document, noise):
    try:
        RailsConfig.from_content(yaml_content=_as_yaml(document, noise))
    except (ConfigError, ColangSyntaxError):
        pass


@seed(20261204)
@FUZZ
@given(st.lists(st.sampled_from(["a: ", "&x ", "*x ", "[", "]", "{", "}", "- ", "\n", "  ",
                                 "!!int ", "!!bool ", "!!timestamp ", "!!float ", "b", ": ",
                                 "'", '"', "#", "? ", "|", ">", "%YAML 1.1\n", "---\n",
                                 "2024-02-30", "\t"]), max_size=30).map("".join))
def test_raw_yaml_loads_or_is_a_config_error(text):
    try:
        RailsConfig.from_content(yaml_content=text)
    except (ConfigError, ColangSyntaxError):
        pass


# -- expressions -----------------------------------------------------------------------------

_ATOMS = ["1", "0", "-1", "2.5", "'a'", '"b"', "$x", "$y", "$list", "$d", "True", "None",
          "[1, 2]", "{'k': 1}", "len($list)", "$d.k", "$list[0]", "9", "10**6", "'%d'",
          "'a' * 3", "$undefined", "f'{$x}'", "str($x)", "int('7')", "99999999"]
_OPS = [" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " == ", " != ", " < ", " and ",
        " or ", " in ", " not in ", " << ", " >> ", " & ", " | ", " ^ ", "."]
_expressions = st.recursive(
    st.sampled_from(_ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(_OPS), inner).map("".join),
        inner.map(lambda e: f"({e})"), inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"[{e}]"), inner.map(lambda e: f"{e}[0]"),
        inner.map(lambda e: f"len({e})"), inner.map(lambda e: f"{e}.upper()"),
        inner.map(lambda e: f"{e}.ljust(99999999)"), inner.map(lambda e: f"'%999999999d' % {e}"),
        st.tuples(inner, inner).map(lambda p: f"{p[0]} if $x else {p[1]}")),
    max_leaves=6)


@seed(20261205)
@FUZZ
@given(_expressions)
def test_expressions_evaluate_or_fail_as_flow_errors(text):
    try:
        expression = compile_expression(text)
    except ColangSyntaxError:
        return
    try:
        expression.evaluate({"x": 3, "y": "yes", "list": [1, 2, 3], "d": {"k": "v"}})
    except FlowEvaluationError:
        pass


# -- HTTP bodies -----------------------------------------------------------------------------

_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10)
_roles = st.sampled_from(["user", "assistant", "system", "developer", "tool", "context",
                          "event", "x", 1, None])
_message = st.fixed_dictionaries({"role": _roles}, optional={
    "content": st.one_of(st.text(max_size=20), _json_values,
                         st.lists(st.fixed_dictionaries({"type": st.just("text"),
                                                         "text": st.text(max_size=8)}))),
    "event": _json_values})
_chat_bodies = st.fixed_dictionaries({}, optional={
    "messages": st.one_of(st.lists(_message, max_size=3), _json_values),
    "model": st.one_of(st.sampled_from(["store", "nope"]), _json_values),
    "config_id": st.one_of(st.just("store"), _json_values),
    "config_ids": _json_values,
    "thread_id": st.one_of(st.text(min_size=14, max_size=20), _json_values),
    "stream": _json_values, "options": _json_values, "context": _json_values,
    "state": st.one_of(st.fixed_dictionaries({"events": _json_values}), _json_values),
    "temperature": _json_values, "n": _json_values, "max_tokens": _json_values,
})
_raw_noise = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b"{", b"[" * 200 + b"]" * 200, b'{"messages": 1e999}', b"NaN",
                     b'{"messages": [{"role": "user", "content": "\\ud800"}]}',
                     b'{"messages": [{"role": "user", "content": "\\udc00 hi"}], '
                     b'"thread_id": "fuzz-thread-000000001"}',
                     b'{"messages": [{"role": "user", "content": "hi"}], '
                     b'"state": {"events": [1, {"type": 2}]}}',
                     b'{"a": ' + b"9" * 500 + b"}", b"\xff\xfe", b"null", b"[]"]))


@pytest.fixture(scope="module")
def chat_app(tmp_path_factory):
    import shutil

    from rails.server.app import create_app
    from rails.server.configs import ConfigRegistry
    from rails.server.threads import open_thread_store

    root = tmp_path_factory.mktemp("fuzz-configs")
    shutil.copytree(ROOT / "config_examples" / "store_support", root / "store")
    store = open_thread_store(sqlite_path=tmp_path_factory.mktemp("fuzz") / "t.sqlite3")
    return create_app(ConfigRegistry.for_path(root, default_id="store"), store)


@pytest.fixture(scope="module")
def actions_app():
    from rails.server.actions_server import build_dispatcher, create_app

    served = ROOT / "tests" / "actions" / "served"
    return create_app(build_dispatcher([str(served)]), token=None, timeout=2)


def _post_all(app, path: str, bodies: list[bytes]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://fuzz") as client:
            return [await client.post(path, content=body,
                                      headers={"content-type": "application/json"})
                    for body in bodies]

    return asyncio.run(run())


def _assert_handled(response: httpx.Response, body: bytes) -> None:
    assert response.status_code < 500, (response.status_code, body[:300], response.text[:300])
    assert response.headers["content-type"].startswith(("application/json",
                                                        "text/event-stream")), response.text


@seed(20261206)
@settings(max_examples=120, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(_chat_bodies.map(lambda b: json.dumps(b).encode()), _raw_noise),
                min_size=1, max_size=4))
def test_chat_server_answers_every_body_with_json_below_500(chat_app, bodies):
    for body, response in zip(bodies, _post_all(chat_app, "/v1/chat/completions", bodies)):
        _assert_handled(response, body)


_action_bodies = st.fixed_dictionaries({}, optional={
    "action_name": st.one_of(st.sampled_from(["add", "echo", "sync_upper", "explode",
                                              "not_json", "nope"]), _json_values),
    "action_parameters": st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "value", "text", "$1", "$2", "reason",
                                         "zzz"]), _json_values, max_size=3), _json_values),
})


@seed(20261207)
@settings(max_examples=120, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(_action_bodies.map(lambda b: json.dumps(b).encode()), _raw_noise),
                min_size=1, max_size=4))
def test_actions_server_answers_every_body_with_json(actions_app, bodies):
    for body, response in zip(bodies, _post_all(actions_app, "/v1/actions/run", bodies)):
        # 500 is the documented answer for an action that raised (`explode`): JSON with the
        # exception's type and message, never an unhandled error.
        assert response.headers["content-type"] == "application/json", response.text
        payload = response.json()
        assert payload["status"] in ("success", "failed"), payload
        if response.status_code >= 500:
            assert response.status_code in (500, 504) and payload["error"]["type"], payload
