"""One rule for time: every action, model call and turn has a deadline (config.yml `timeouts`,
`@action(timeout=...)`); past it the work is cancelled and the turn ends through the error
path, naming what ran out of time and the limit. Sync actions run off the event loop.

Timing: the deadlines under test are short (0.2-0.5 s) and the bounds asserted are generous
(several seconds), since the point is "it was cut off", not how precisely."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from rails import LLMRails, RailsConfig
from rails.errors import ActionTimeoutError, LLMTimeoutError

FALLBACK = "I'm sorry, an internal error has occurred."

# Offline intent matching: each user message below is an example of its intent.
YAML = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
      embeddings_only_fallback_intent: say other
{extra}"""

FLOWS = """\
define user say slow
  "run the slow one"

define user say fast
  "run the fast one"

define user say other
  "something else"

define bot say done
  "done: $result"

define flow slow
  user say slow
  $result = execute slow_action
  bot say done

define flow fast
  user say fast
  $result = execute fast_action
  bot say done

define flow other
  user say other
  bot say done
"""

ACTIONS = """\
import asyncio
import time

from rails.actions import action

EVENTS = []

{body}

@action()
async def fast_action():
    return "fast"
"""


def build(write_config, body: str, extra: str = "", name: str = "cfg") -> LLMRails:
    folder = write_config({"config.yml": YAML.format(extra=extra), "flows.co": FLOWS,
                           "actions.py": ACTIONS.format(body=body)}, name=name)
    return LLMRails(RailsConfig.from_path(str(folder)))


def ask(app: LLMRails, text: str) -> str:
    return app.generate(messages=[{"role": "user", "content": text}])["content"]


def only_error(app: LLMRails):
    errors = app.explain().errors
    assert len(errors) == 1, errors
    return errors[0]


def test_a_sync_action_past_its_decorator_timeout_ends_the_turn_naming_it(write_config):
    app = build(write_config, """
@action(timeout=0.3)
def slow_action():
    time.sleep(3)
    return "late"
""")
    started = time.monotonic()
    assert ask(app, "run the slow one") == FALLBACK
    assert time.monotonic() - started < 2.5  # cut off at 0.3 s, not after the 3 s sleep
    error = only_error(app)
    assert error.type == "ActionTimeoutError"
    assert "slow_action" in error.message and "0.3 s" in error.message
    assert "@action(timeout=...)" in error.message
    assert "thread runs on in the background" in error.message
    # The conversation goes on, and the next turn is not affected.
    assert ask(app, "run the fast one") == "done: fast"


def test_config_timeouts_apply_to_async_actions_and_cancel_them(write_config):
    app = build(write_config, """
@action()
async def slow_action():
    EVENTS.append("started")
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        EVENTS.append("cancelled")
        raise
    return "late"
""", extra="timeouts:\n  action: 0.2\n")
    assert ask(app, "run the slow one") == FALLBACK
    error = only_error(app)
    assert "slow_action" in error.message and "0.2 s (timeouts.action)" in error.message
    events = app._parts.dispatcher.get("fast_action").__globals__["EVENTS"]
    assert events == ["started", "cancelled"]


def test_the_yaml_override_of_one_action_wins_over_the_decorator(write_config):
    app = build(write_config, """
@action(timeout=0.1)
async def slow_action():
    await asyncio.sleep(0.4)
    return "in time"
""", extra="timeouts:\n  action: 0.1\n  actions:\n    slow_action: 5\n")
    assert ask(app, "run the slow one") == "done: in time"


def test_the_turn_deadline_bounds_several_actions_together(write_config):
    # Each action alone is within its limit; the turn as a whole is not.
    folder = write_config({
        "config.yml": YAML.format(extra="timeouts:\n  action: 5\n  turn: 0.5\n"),
        "flows.co": """\
define user say slow
  "run the slow one"

define user say other
  "something else"

define bot say done
  "done"

define flow slow
  user say slow
  execute nap
  execute nap
  execute nap
  execute nap
  bot say done

define flow other
  user say other
  bot say done
""",
        "actions.py": """\
import asyncio
from rails.actions import action

@action()
async def nap():
    await asyncio.sleep(0.2)
"""})
    app = LLMRails(RailsConfig.from_path(str(folder)))
    started = time.monotonic()
    assert ask(app, "run the slow one") == FALLBACK
    assert time.monotonic() - started < 3
    error = only_error(app)
    assert "the turn ran out of time (timeouts.turn)" in error.message
    assert "nap" in error.message
    assert ask(app, "something else") == "done"


def test_raise_errors_gives_the_timeout_error_itself(write_config):
    app = build(write_config, """
@action(timeout=0.2)
async def slow_action():
    await asyncio.sleep(3)
""")
    with pytest.raises(ActionTimeoutError) as caught:
        app.generate(messages=[{"role": "user", "content": "run the slow one"}],
                     options={"raise_errors": True})
    assert caught.value.action_name == "slow_action" and caught.value.limit == 0.2
    assert caught.value.setting == "@action(timeout=...)"


def test_a_sleeping_sync_action_does_not_stall_other_conversations(write_config):
    app = build(write_config, """
@action()
def slow_action():
    time.sleep(1.5)
    return "slept"
""")

    async def both():
        slow = asyncio.ensure_future(app.generate_async(
            messages=[{"role": "user", "content": "run the slow one"}]))
        await asyncio.sleep(0.1)  # the slow action is now sleeping on its thread
        started = time.monotonic()
        fast = await app.generate_async(
            messages=[{"role": "user", "content": "run the fast one"}])
        fast_took = time.monotonic() - started
        return (await slow)["content"], fast["content"], fast_took, slow.done()

    slow, fast, fast_took, _ = asyncio.run(both())
    assert (slow, fast) == ("done: slept", "done: fast")
    # On the loop, the fast turn would wait for the whole 1.5 s sleep; generous bound.
    assert fast_took < 1.0


def test_sync_actions_never_run_on_the_event_loop_thread(write_config):
    app = build(write_config, """
import threading

@action()
def slow_action():
    return threading.current_thread().name
""")
    reply = ask(app, "run the slow one")
    assert reply.startswith("done: dialog-rails-action-")


def test_a_full_pool_says_so_when_a_queued_action_times_out(write_config):
    # One thread; a stuck action holds it, so the next one waits in the queue past its limit.
    app = build(write_config, """
import threading

RELEASE = threading.Event()

@action(timeout=0.3)
def slow_action():
    RELEASE.wait(10)
    return "released"
""", extra="limits:\n  action_threads: 1\n")
    try:
        assert ask(app, "run the slow one") == FALLBACK  # the thread is stuck in the action
        assert ask(app, "run the slow one") == FALLBACK  # no thread for this one
        error = only_error(app)
        assert "all 1 action threads are busy" in error.message
        assert "limits.action_threads" in error.message
        assert ask(app, "run the fast one") == "done: fast"  # async actions are unaffected
    finally:
        app._parts.dispatcher.get("slow_action").__globals__["RELEASE"].set()


def test_zero_action_threads_runs_sync_actions_on_the_loop(write_config):
    app = build(write_config, """
import threading

@action()
def slow_action():
    return threading.current_thread().name
""", extra="limits:\n  action_threads: 0\n")
    assert ask(app, "run the slow one") == "done: dialog-rails-loop"


# -- BaseException from actions ------------------------------------------------------------

@pytest.mark.parametrize("raised", ["SystemExit(3)", "KeyboardInterrupt()", "GeneratorExit()",
                                    "asyncio.CancelledError()"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_any_base_exception_is_the_actions_failure_and_the_sync_api_keeps_working(
        write_config, raised, kind):
    body = f"""
@action()
{'async ' if kind == 'async' else ''}def slow_action():
    raise {raised}
"""
    app = build(write_config, body)
    assert ask(app, "run the slow one") == FALLBACK
    error = only_error(app)
    assert error.type == "ActionError"
    assert f"action 'slow_action' raised {raised.split('(')[0].split('.')[-1]}" in error.message
    # The private loop thread survived: later turns answer (they would hang forever if not).
    assert ask(app, "run the fast one") == "done: fast"
    assert ask(app, "run the slow one") == FALLBACK


def test_an_outside_cancellation_is_not_swallowed(write_config):
    app = build(write_config, """
@action()
async def slow_action():
    await asyncio.sleep(5)
""")

    async def cancel_midway():
        turn = asyncio.ensure_future(app.generate_async(
            messages=[{"role": "user", "content": "run the slow one"}]))
        await asyncio.sleep(0.2)
        turn.cancel()
        with pytest.raises(asyncio.CancelledError):
            await turn
        # The conversation is still consistent: the same history answers normally.
        return await app.generate_async(
            messages=[{"role": "user", "content": "run the fast one"}])

    assert asyncio.run(cancel_midway())["content"] == "done: fast"


# -- model calls ---------------------------------------------------------------------------

GENERAL_YAML = """\
models:
  - type: main
    engine: openai
    model: local-model
    parameters:
      base_url: {base_url}
      api_key: unused
timeouts:
  llm: 0.3
"""


def test_a_model_call_past_timeouts_llm_ends_the_turn_naming_the_call(write_config):
    from langchain_core.language_models.llms import LLM

    class SlowLLM(LLM):
        @property
        def _llm_type(self) -> str:
            return "slow"

        def _call(self, prompt, stop=None, run_manager=None, **kwargs):
            raise AssertionError("the async path is used")

        async def _acall(self, prompt, stop=None, run_manager=None, **kwargs):
            await asyncio.sleep(5)
            return "too late"

    folder = write_config({"config.yml": "timeouts:\n  llm: 0.3\n"})  # general mode
    app = LLMRails(RailsConfig.from_path(str(folder)), llm=SlowLLM())
    started = time.monotonic()
    assert ask(app, "hello") == FALLBACK
    assert time.monotonic() - started < 3
    error = only_error(app)
    assert error.type == "LLMTimeoutError"
    assert "0.3 s (timeouts.llm)" in error.message and "general" in error.message
    with pytest.raises(LLMTimeoutError):
        app.generate(messages=[{"role": "user", "content": "hello"}],
                     options={"raise_errors": True})


def test_the_built_in_engine_is_cut_off_by_timeouts_llm(write_config):
    # A loopback endpoint that accepts the request and never answers.
    accepted = threading.Event()
    stop = threading.Event()
    loop_ready = threading.Event()
    state: dict = {}

    def serve():
        async def main():
            async def stall(reader, writer):
                accepted.set()
                while not stop.is_set():
                    await asyncio.sleep(0.05)
                writer.close()

            server = await asyncio.start_server(stall, "127.0.0.1", 0)
            state["port"] = server.sockets[0].getsockname()[1]
            loop_ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            server.close()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert loop_ready.wait(5)
    try:
        folder = write_config({"config.yml": GENERAL_YAML.format(
            base_url=f"http://127.0.0.1:{state['port']}/v1")})
        app = LLMRails(RailsConfig.from_path(str(folder)))
        started = time.monotonic()
        assert ask(app, "hello") == FALLBACK
        assert time.monotonic() - started < 3
        assert accepted.is_set()
        error = only_error(app)
        assert error.type == "LLMTimeoutError" and "local-model" in error.message
        assert "0.3 s (timeouts.llm)" in error.message
    finally:
        stop.set()
        thread.join(5)


def test_timeouts_are_validated_with_the_key_named(write_config):
    from rails.errors import ConfigError

    with pytest.raises(ConfigError, match=r"timeouts\.action"):
        RailsConfig.from_content(yaml_content="timeouts:\n  action: -1\n")
    with pytest.raises(ConfigError, match=r"timeouts\.actoin.*did you mean 'action'"):
        RailsConfig.from_content(yaml_content="timeouts:\n  actoin: 3\n")
    with pytest.raises(ValueError, match="timeout"):
        from rails.actions import action

        action(timeout=0)


# -- remote actions ------------------------------------------------------------------------

def test_a_remote_action_past_its_limit_is_cancelled_naming_the_server(write_config):
    from tests.actions.conftest import TEST_TOKEN, start_actions_server

    server = start_actions_server()
    try:
        folder = write_config({
            "config.yml": YAML.format(extra=(
                f"actions_server_url: {server.url}\n"
                f"actions_server: {{token: {TEST_TOKEN}}}\n"
                "timeouts:\n  actions:\n    nap: 0.3\n")),
            "flows.co": FLOWS.replace("execute slow_action", "execute nap(seconds=5)"),
            "actions.py": ACTIONS.format(body="")})
        app = LLMRails(RailsConfig.from_path(str(folder)))
        started = time.monotonic()
        assert ask(app, "run the slow one") == FALLBACK
        assert time.monotonic() - started < 3
        error = only_error(app)
        assert error.type == "ActionTimeoutError"
        assert "action 'nap' on the actions server" in error.message
        assert "0.3 s (timeouts.actions.nap)" in error.message
        assert ask(app, "something else") != FALLBACK  # the next turn is unaffected
    finally:
        server.stop()
