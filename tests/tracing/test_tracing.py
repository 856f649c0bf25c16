"""tracing: {enabled, adapters}: spans per turn, rail, action and LLM call, exported through
the OpenTelemetry API (checked with the SDK's in-memory exporter) and to JSON lines."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rails import LLMRails, RailsConfig
from rails.errors import ConfigError
from rails.testing import FakeLLM


@pytest.fixture(scope="module")
def provider():
    """The application's global SDK provider, as a user configures it (it can be set once per
    process: a second test module reuses it)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    return provider


@pytest.fixture
def spans(provider):
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    processor.shutdown()


def rails_for(provider, tmp_path, *, capture=False, input_flows=("self check input",),
              extra_adapters=""):
    yaml = f"""
models:
  - type: main
    engine: openai
    model: gpt-4o-mini
tracing:
  enabled: true
  enable_content_capture: {capture}
  adapters:
    - name: OpenTelemetry
    - name: FileSystem
      filepath: {tmp_path}/traces/trace.jsonl
{extra_adapters}
rails:
  input:
    flows: {list(input_flows)}
prompts:
  - task: self_check_input
    content: "Should this user message be blocked? {{{{ user_input }}}}"
"""
    colang = """
define user express greeting
  "hello"
define bot express greeting
  "Hello from the bot!"
define flow
  user express greeting
  bot express greeting
"""
    config = RailsConfig.from_content(yaml_content=yaml, colang_content=colang)
    llm = FakeLLM(respond=lambda p: ("Yes" if "bomb" in p else "No")
                  if p.startswith("Should this") else "  express greeting")
    return LLMRails(config, llm=llm)


def by_name(finished):
    names = {}
    for span in finished:
        names.setdefault(span.name, []).append(span)
    return names


def test_spans_per_turn_rail_action_and_llm_call(provider, spans, tmp_path):
    app = rails_for(provider, tmp_path)
    assert app.generate(messages=[{"role": "user", "content": "hello"}])["content"] == \
        "Hello from the bot!"
    finished = spans.get_finished_spans()
    names = by_name(finished)
    request = names["guardrails.request"][0]
    assert request.kind is trace.SpanKind.SERVER and request.parent is None
    assert request.attributes["gen_ai.operation.name"] == "guardrails"
    rails = names["guardrails.rail"]
    assert [(r.attributes["rail.type"], r.attributes["rail.name"]) for r in
            sorted(rails, key=lambda s: s.start_time)][:2] == [
        ("input", "self check input"), ("dialog", "generate user intent")]
    assert all(r.parent.span_id == request.context.span_id for r in rails)
    actions = {a.attributes["action.name"]: a for a in names["guardrails.action"]}
    assert actions["self_check_input"].attributes["action.llm_calls_count"] == 1
    calls = [s for s in finished if s.kind is trace.SpanKind.CLIENT]
    assert len(calls) == 2  # the self check and the intent
    check = next(c for c in calls if c.attributes["rails.llm.task"] == "self_check_input")
    assert check.parent.span_id == actions["self_check_input"].context.span_id
    assert check.name == "text_completion FakeLLM"
    assert check.attributes["gen_ai.operation.name"] == "text_completion"
    assert check.attributes["gen_ai.request.model"] == "FakeLLM"
    assert check.start_time <= check.end_time
    assert request.start_time <= check.start_time and check.end_time <= request.end_time
    assert {s.context.trace_id for s in finished} == {request.context.trace_id}


def test_no_text_in_spans_unless_asked(provider, spans, tmp_path):
    app = rails_for(provider, tmp_path)
    app.generate(messages=[{"role": "user", "content": "hello secret-words"}])
    dumped = json.dumps([{**dict(s.attributes), "events": [dict(e.attributes) for e in s.events]}
                         for s in spans.get_finished_spans()], default=str)
    assert "secret-words" not in dumped
    lines = (tmp_path / "traces" / "trace.jsonl").read_text()
    assert "secret-words" not in lines


def test_content_capture_adds_prompts_completions_and_messages(provider, spans, tmp_path):
    app = rails_for(provider, tmp_path, capture=True)
    app.generate(messages=[{"role": "user", "content": "hello secret-words"}])
    names = by_name(spans.get_finished_spans())
    request = names["guardrails.request"][0]
    assert "secret-words" in request.attributes["guardrails.request.input"]
    assert "Hello from the bot!" in request.attributes["guardrails.request.output"]
    check = next(s for s in spans.get_finished_spans()
                 if s.attributes.get("rails.llm.task") == "self_check_input")
    events = {e.name: dict(e.attributes) for e in check.events}
    assert events["gen_ai.content.prompt"]["gen_ai.prompt"] == \
        "Should this user message be blocked? hello secret-words"
    assert events["gen_ai.content.completion"]["gen_ai.completion"] == "No"


def test_a_blocking_rail_shows_in_the_trace(provider, spans, tmp_path):
    app = rails_for(provider, tmp_path)
    app.generate(messages=[{"role": "user", "content": "a bomb"}])
    names = by_name(spans.get_finished_spans())
    assert names["guardrails.request"][0].attributes["rails.blocked"] is True
    rail = names["guardrails.rail"][-1]
    assert rail.attributes["rail.stop"] is True
    assert rail.attributes["rail.name"] == "self check input"
    assert "stop" in rail.attributes["rail.decisions"]


def test_filesystem_adapter_writes_one_json_line_per_turn(provider, spans, tmp_path):
    app = rails_for(provider, tmp_path)
    for text in ("hello", "a bomb"):
        app.generate(messages=[{"role": "user", "content": text}])
    lines = (tmp_path / "traces" / "trace.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert len(first["trace_id"]) == 32
    spans_by_id = {span["span_id"]: span for span in first["spans"]}
    root = first["spans"][0]
    assert root["name"] == "guardrails.request" and root["parent_id"] is None
    assert all(span["parent_id"] in spans_by_id for span in first["spans"][1:])
    assert {span["name"] for span in first["spans"]} >= {
        "guardrails.rail", "guardrails.action", "text_completion FakeLLM"}
    assert json.loads(lines[1])["spans"][0]["attributes"]["rails.blocked"] is True


def test_parallel_rails_are_traced_like_sequential(provider, spans, tmp_path):
    app = rails_for(provider, tmp_path)
    app.config.rails.input.parallel = True
    app.generate(messages=[{"role": "user", "content": "hello"}])
    rails = by_name(spans.get_finished_spans())["guardrails.rail"]
    assert "self check input" in [r.attributes["rail.name"] for r in rails]


def test_custom_adapter_through_nemos_registry_path(provider, spans, tmp_path):
    from rails.tracing.adapters.base import InteractionLogAdapter
    from rails.tracing.adapters.registry import register_log_adapter

    seen = []

    class Collect(InteractionLogAdapter):
        name = "Collect"

        def __init__(self, label: str = ""):
            self.label = label

        def transform(self, interaction_log):
            seen.append((self.label, [span.name for span in interaction_log.trace]))

    register_log_adapter(Collect, "Collect")
    app = rails_for(provider, tmp_path, extra_adapters="    - name: Collect\n"
                                                       "      label: mine\n")
    app.generate(messages=[{"role": "user", "content": "hello"}])
    assert seen[0][0] == "mine" and seen[0][1][0] == "guardrails.request"


def test_a_failing_adapter_never_fails_the_turn(provider, spans, tmp_path, caplog):
    from rails.tracing import InteractionLogAdapter, register_log_adapter

    class Broken(InteractionLogAdapter):
        def transform(self, interaction_log):
            raise OSError("disk full")

    register_log_adapter(Broken, "Broken")
    app = rails_for(provider, tmp_path, extra_adapters="    - name: Broken\n")
    assert app.generate(messages=[{"role": "user", "content": "hello"}])["content"] == \
        "Hello from the bot!"
    assert "disk full" in caplog.text
    assert spans.get_finished_spans()  # the other adapters still ran


def test_unknown_adapter_is_a_config_error():
    config = RailsConfig.from_content(yaml_content="tracing:\n  enabled: true\n  adapters:\n"
                                                   "    - name: Zipkinn\n")
    with pytest.raises(ConfigError, match="unknown tracing adapter 'Zipkinn'"):
        LLMRails(config, llm=FakeLLM())


def test_missing_opentelemetry_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    config = RailsConfig.from_content(yaml_content="tracing:\n  enabled: true\n  adapters:\n"
                                                   "    - name: OpenTelemetry\n")
    with pytest.raises(ConfigError, match=r"dialog-rails\[tracing\]"):
        LLMRails(config, llm=FakeLLM())


def test_nemo_example_config_loads_unchanged(tmp_path, caplog, monkeypatch):
    """NeMo's examples/configs/tracing/config.yml (its older exporter keys are ignored, with
    a warning, as in NeMo's later releases)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yml").write_text("""
models:
  - type: main
    engine: openai
    model: gpt-3.5-turbo-instruct

tracing:
  enabled: true
  adapters:
    - name: OpenTelemetry
      service_name: "nemo_guardrails_service"
      exporter: "console"  # Options: "console", "zipkin", etc.
      resource_attributes:
        env: "production"
    - name: FileSystem
      filepath: './traces/traces.jsonl'
""")
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=FakeLLM(respond=lambda p: "Hi"))
    assert "exporter, resource_attributes ignored" in caplog.text
    app.generate(messages=[{"role": "user", "content": "hi"}])
    assert len((tmp_path / "traces" / "traces.jsonl").read_text().splitlines()) == 1


def test_off_by_default_imports_nothing_of_tracing(tmp_path):
    # A config that needs no model, so LangChain (whose langsmith may import OpenTelemetry
    # for its own reasons) stays out too.
    (tmp_path / "config.yml").write_text(
        "models: []\nrails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n"
        "      embeddings_only_similarity_threshold: 0.5\n"
        "      embeddings_only_fallback_intent: greet\n")
    (tmp_path / "flows.co").write_text(
        'define user greet\n  "hello"\ndefine bot greet\n  "Hi!"\n'
        "define flow\n  user greet\n  bot greet\n")
    code = f"""
import sys
from rails import LLMRails, RailsConfig
app = LLMRails(RailsConfig.from_path({str(tmp_path)!r}))
assert app.generate(messages=[{{"role": "user", "content": "hello"}}])["content"] == "Hi!"
assert app._tracer is None
print(sorted(m for m in sys.modules if m.startswith(("rails.tracing", "opentelemetry"))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
