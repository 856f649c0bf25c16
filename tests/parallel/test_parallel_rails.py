"""rails.input.parallel / rails.output.parallel: rails run concurrently, the first block wins
and cancels the rest, a failing rail blocks, and the log reads as in sequential mode."""
from __future__ import annotations

import asyncio

import pytest

from rails import LLMRails, RailsConfig
from rails.actions import action
from rails.testing import FakeLLM

FLOWS = """
define user express greeting
  "hello"

define bot express greeting
  "Hello!"

define flow greeting
  user express greeting
  bot express greeting

define bot refuse to respond
  "I'm sorry, I can't respond to that."

define subflow mask secrets
  $user_message = execute mask_secrets(text=$user_message)

define subflow wait for partner
  $ok = execute meet(name="first")

define subflow partner
  $ok = execute meet(name="second")

define subflow never ends
  $ok = execute hang

define subflow breaks
  $ok = execute explode

define subflow polite output
  $bot_message = execute politer(text=$bot_message)

define subflow no shouting
  $loud = execute is_loud(text=$bot_message)
  if $loud
    bot refuse to respond
    stop
"""


def yaml(input_flows=(), output_flows=(), parallel=True, extra=""):
    return f"""
models: []
rails:
  input:
    parallel: {parallel}
    flows: {list(input_flows)}
  output:
    parallel: {parallel}
    flows: {list(output_flows)}
prompts:
  - task: self_check_input
    content: "Should this user message be blocked? {{{{ user_input }}}}"
{extra}
"""


def verdicts(prompt: str) -> str:
    if prompt.startswith("Should this user message"):
        return "Yes" if "bomb" in prompt else "No"
    return "  express greeting"


class Probe:
    """Actions that show what ran concurrently and what was cancelled."""

    def __init__(self):
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.arrived: dict[str, asyncio.Event] = {}

    def register(self, app: LLMRails) -> None:
        probe = self

        @action()
        async def mask_secrets(text: str) -> str:
            return text.replace("hunter2", "*******")

        @action()
        async def meet(name: str) -> bool:
            # Returns only once the other rail has started too: sequential rails would wait
            # here forever (the timeout turns that into a failure).
            probe.started.append(name)
            probe.arrived.setdefault(name, asyncio.Event()).set()
            other = "second" if name == "first" else "first"
            await asyncio.wait_for(probe.arrived.setdefault(other, asyncio.Event()).wait(), 5)
            return True

        @action()
        async def hang() -> bool:
            probe.started.append("hang")
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                probe.cancelled.append("hang")
                raise
            return True

        @action()
        async def explode() -> bool:
            raise RuntimeError("classifier unreachable")

        @action()
        async def politer(text: str) -> str:
            return text.replace("!", ".")

        @action()
        async def is_loud(text: str) -> bool:
            return text.isupper()

        for fn in (mask_secrets, meet, hang, explode, politer, is_loud):
            app.register_action(fn)


def build(input_flows=(), output_flows=(), parallel=True, llm=None):
    config = RailsConfig.from_content(colang_content=FLOWS,
                                      yaml_content=yaml(input_flows, output_flows, parallel))
    app = LLMRails(config, llm=llm or FakeLLM(respond=verdicts))
    probe = Probe()
    probe.register(app)
    return app, probe


LOG = {"log": {"activated_rails": True, "llm_calls": True}}


def ask(app, text):
    return app.generate(messages=[{"role": "user", "content": text}], options=LOG)


def test_rails_really_run_concurrently():
    app, probe = build(["wait for partner", "partner"])
    result = ask(app, "hello")
    assert result.response[0]["content"] == "Hello!"
    assert sorted(probe.started) == ["first", "second"]
    assert [r.name for r in result.log.activated_rails][:2] == ["wait for partner", "partner"]


def test_sequential_mode_is_unchanged():
    app, probe = build(["mask secrets", "self check input"], parallel=False)
    result = ask(app, "hello hunter2")
    assert result.response[0]["content"] == "Hello!"
    assert app.explain().colang_history.count('user "hello *******"') == 1


@pytest.mark.parametrize("parallel", [False, True])
def test_same_answers_and_log_as_sequential(parallel):
    app, _ = build(["self check input", "mask secrets"], parallel=parallel)
    passed = ask(app, "hello hunter2")
    assert passed.response[0]["content"] == "Hello!"
    rails = [(r.type, r.name, r.stop) for r in passed.log.activated_rails]
    assert rails[:2] == [("input", "self check input", False), ("input", "mask secrets", False)]
    assert 'user "hello *******"' in app.explain().colang_history  # the rewrite took effect
    calls = [call.task for call in passed.log.llm_calls]
    assert calls[0] == "self_check_input" and "generate_user_intent" in calls

    blocked = ask(app, "build a bomb")
    assert blocked.response[0]["content"] == "I'm sorry, I can't respond to that."
    blocker = blocked.log.activated_rails[-1]
    assert (blocker.type, blocker.name, blocker.stop) == ("input", "self check input", True)
    assert blocker.decisions[0] == "execute self_check_input"
    assert [a.action_name for a in blocker.executed_actions][0] == "self_check_input"
    assert [c.task for c in blocked.log.llm_calls] == ["self_check_input"]  # no dialog after


def test_first_block_cancels_the_rest():
    app, probe = build(["never ends", "self check input"])
    result = ask(app, "a bomb")
    assert result.response[0]["content"] == "I'm sorry, I can't respond to that."
    assert probe.cancelled == ["hang"]
    # The cancelled rail never finished: it is not in the log.
    assert [r.name for r in result.log.activated_rails] == ["self check input"]


def test_a_failing_rail_blocks():
    app, probe = build(["never ends", "breaks"])
    result = ask(app, "hello")
    assert result.response[0]["content"] == "I'm sorry, an internal error has occurred."
    assert probe.cancelled == ["hang"]
    assert "classifier unreachable" in result.log.errors[0].message
    # The failed turn is hidden from the history, as in sequential mode.
    after = app.generate(messages=[{"role": "user", "content": "hello"},
                                   {"role": "assistant", "content": result.response[0]["content"]},
                                   {"role": "user", "content": "hello"}], options=LOG)
    assert after.response[0]["content"] == "I'm sorry, an internal error has occurred."


def test_a_failing_rail_raises_with_raise_errors():
    app, probe = build(["never ends", "breaks"])
    with pytest.raises(RuntimeError, match="classifier unreachable"):
        app.generate(messages=[{"role": "user", "content": "hi"}],
                     options={"raise_errors": True})
    assert probe.cancelled == ["hang"]


def test_output_rails_in_parallel():
    # (Predefined bot messages skip output rails, as in NeMo: check given answers instead.)
    app, _ = build(output_flows=["polite output", "no shouting"])
    result = app.generate(messages=[{"role": "user", "content": "hi"},
                                    {"role": "assistant", "content": "Hello!"}],
                          options={"rails": ["output"], **LOG})
    assert result.response[0]["content"] == "Hello."  # the rewrite of one rail kept
    assert [r.name for r in result.log.activated_rails if r.type == "output"] == [
        "polite output", "no shouting"]
    blocked = app.generate(messages=[{"role": "user", "content": "hi"},
                                     {"role": "assistant", "content": "STOP IT"}],
                           options={"rails": ["output"], **LOG})
    assert blocked.response[0]["content"] == "I'm sorry, I can't respond to that."
    assert blocked.log.activated_rails[-1].name == "no shouting"


def test_check_api_with_parallel_rails():
    from rails.rails.llm.options import RailStatus

    app, _ = build(["self check input", "mask secrets"])
    assert app.check([{"role": "user", "content": "hunter2"}]).status is RailStatus.MODIFIED
    blocked = app.check([{"role": "user", "content": "bomb"}])
    assert (blocked.status, blocked.rail) == (RailStatus.BLOCKED, "self check input")


async def test_concurrent_conversations_with_parallel_rails():
    app, _ = build(["self check input", "mask secrets"])
    texts = ["hello", "a bomb", "hello hunter2"] * 5
    results = await asyncio.gather(*(app.generate_async(
        messages=[{"role": "user", "content": text}]) for text in texts))
    assert [r["content"] for r in results] == [
        "Hello!", "I'm sorry, I can't respond to that.", "Hello!"] * 5


def test_nemo_documented_parallel_config_runs_unchanged():
    """NeMo's parallel-rails example (content safety and self check on input, in parallel),
    with fake models standing in for the safety model and the main model."""
    config = RailsConfig.from_content(yaml_content="""
models:
  - type: main
    engine: openai
    model: gpt-4o-mini
  - type: content_safety
    engine: openai
    model: nvidia/llama-3.1-nemoguard-8b-content-safety
rails:
  input:
    parallel: True
    flows:
      - content safety check input $model=content_safety
      - self check input
prompts:
  - task: self_check_input
    content: "Should this user message be blocked? {{ user_input }}"
  - task: content_safety_check_input $model=content_safety
    content: "Is this safe? {{ user_input }}"
    output_parser: is_content_safe
""", colang_content=FLOWS)
    safety = FakeLLM(respond=lambda p: "unsafe" if "poison" in p else "safe")
    app = LLMRails(config, llm=FakeLLM(respond=verdicts))
    app.register_action_param("content_safety_llm", safety)
    assert app.generate(messages=[{"role": "user", "content": "hello"}])["content"] == "Hello!"
    result = ask(app, "how to poison a well")
    assert result.response[0]["content"] == "I'm sorry, I can't respond to that."
    assert result.log.activated_rails[-1].name == "content safety check input $model=content_safety"
