"""`ActionDispatcher.execute`: parameter passing (spec §4.3), kinds of callables, results and
failures."""
from __future__ import annotations

import asyncio
import threading
from typing import Optional

import pytest

from rails.actions import ActionDispatcher, ActionResult, action
from rails.errors import ActionError, ActionNotFoundError, LLMCallError

CONTEXT = {"user_name": "Ada", "count": 3, "last_user_message": "hi there"}
EVENTS = [{"type": "UtteranceUserActionFinished", "final_transcript": "hi there"},
          {"type": "StartInternalSystemAction", "action_name": "x"}]


def dispatcher_with(*actions, **named) -> ActionDispatcher:
    dispatcher = ActionDispatcher(load_all_actions=False)
    for fn in actions:
        dispatcher.register_action(fn)
    for name, fn in named.items():
        dispatcher.register_action(fn, name=name)
    return dispatcher


async def run(dispatcher, name, params=None, *, injected=None, context=CONTEXT, events=EVENTS):
    return await dispatcher.execute(name, params or {}, context=context, events=events,
                                    injected=injected or {})


async def test_keyword_parameters_and_references():
    @action()
    async def greet(name, greeting="Hello", literal=None, dotted=None):
        return f"{greeting} {name}", literal, dotted

    dispatcher = dispatcher_with(greet)
    outcome = await run(dispatcher, "greet", {"name": "$user_name", "literal": "$missing",
                                              "dotted": "$user_name.upper"})
    assert outcome.status == "success" and outcome.error is None
    # Unresolved references and attribute paths are passed literally (quirk R8).
    assert outcome.return_value == ("Hello Ada", "$missing", "$user_name.upper")


async def test_params_are_copied_not_mutated():
    @action()
    async def show(value):
        return value

    params = {"value": "$count"}
    assert (await run(dispatcher_with(show), "show", params)).return_value == 3
    assert params == {"value": "$count"}


async def test_positional_arguments_bind_to_free_parameters():
    @action()
    async def join(first, second, context=None, sep="-"):
        return sep.join([first, second])

    @action()
    async def takes_kwargs(**kwargs):
        return kwargs

    dispatcher = dispatcher_with(join, takes_kwargs)
    outcome = await run(dispatcher, "join", {"$1": "$user_name", "$2": "b", "sep": "+"})
    assert outcome.return_value == "Ada+b"
    # With **kwargs the reference behaviour stays: the keys arrive as they are.
    outcome = await run(dispatcher, "takes_kwargs", {"$1": "$user_name", "k": 1})
    assert outcome.return_value == {"$1": "Ada", "k": 1}

    # `context` is injected, so the third positional value goes to `sep`.
    assert (await run(dispatcher, "join", {"$1": "a", "$2": "b", "$3": "/"})).return_value \
        == "a/b"
    too_many = await run(dispatcher, "join", {"$1": "a", "$2": "b", "$3": "c", "$4": "d"})
    assert too_many.status == "failed" and isinstance(too_many.error, ActionError)
    assert "got 4 positional argument(s) but only 3" in str(too_many.error)


async def test_context_prefixed_parameters():
    @action()
    async def read(__context__user_name=None, __context__nothing="default"):
        return __context__user_name, __context__nothing

    outcome = await run(dispatcher_with(read), "read")
    assert outcome.return_value == ("Ada", None)


async def test_special_parameters_only_when_named():
    seen = {}

    @action()
    async def wants_all(events, context, config, llm_task_manager, state, llm, llms, kb,
                        rates):
        seen.update(locals())
        return "ok"

    @action()
    async def wants_none(**kwargs):
        return sorted(kwargs)

    injected = {"config": "CFG", "llm_task_manager": "TM", "state": "STATE", "llm": "MAIN",
                "llms": {"main": "MAIN"}, "kb": None, "rates": "registered", "unused": 1}
    dispatcher = dispatcher_with(wants_all, wants_none)
    assert (await run(dispatcher, "wants_all", injected=injected)).status == "success"
    assert seen["events"] is EVENTS and seen["context"] is CONTEXT
    assert (seen["config"], seen["llm_task_manager"], seen["state"]) == ("CFG", "TM", "STATE")
    assert (seen["llm"], seen["llms"], seen["kb"], seen["rates"]) == (
        "MAIN", {"main": "MAIN"}, None, "registered")
    # Injected values go to named parameters only, never into **kwargs.
    outcome = await run(dispatcher, "wants_none", {"flow_param": 1}, injected=injected)
    assert outcome.return_value == ["flow_param"]


async def test_special_parameters_are_not_invented_without_context_or_events():
    @action()
    async def probe(context: Optional[dict] = None, events=None):
        return context, events

    outcome = await dispatcher_with(probe).execute("probe", {})
    assert outcome.return_value == (None, None)


async def test_action_specific_llm_replaces_the_main_one():
    @action()
    async def summarize(llm=None):
        return llm

    @action()
    async def other(llm=None):
        return llm

    injected = {"llm": "main model", "summarize_llm": "summary model"}
    dispatcher = dispatcher_with(summarize, other)
    assert (await run(dispatcher, "summarize", injected=injected)).return_value == "summary model"
    assert (await run(dispatcher, "other", injected=injected)).return_value == "main model"


async def test_sync_and_async_functions_and_bound_methods():
    class Service:
        prefix = "svc:"

        @action()
        def sync_method(self, value):
            return self.prefix + value

        @action()
        async def async_method(self, value):
            return self.prefix + value.upper()

    def sync_function(value):
        return value * 2

    dispatcher = dispatcher_with(sync_function)
    dispatcher.register_actions(Service())
    assert (await run(dispatcher, "sync_function", {"value": "ab"})).return_value == "abab"
    assert (await run(dispatcher, "sync_method", {"value": "x"})).return_value == "svc:x"
    assert (await run(dispatcher, "async_method", {"value": "x"})).return_value == "svc:X"


async def test_sync_actions_run_on_the_action_threads_never_on_the_loop():
    loop_thread = threading.get_ident()

    @action(execute_async=True)
    def flagged():
        return threading.get_ident()

    @action()
    def plain():
        return threading.get_ident()

    dispatcher = dispatcher_with(flagged, plain)
    assert (await run(dispatcher, "flagged")).return_value != loop_thread
    assert (await run(dispatcher, "plain")).return_value != loop_thread
    dispatcher.threads = None  # the opt-out (limits.action_threads: 0)
    assert (await run(dispatcher, "plain")).return_value == loop_thread


async def test_class_actions_are_instantiated_once_lazily_and_get_injection():
    created = []

    @action(name="counter")
    class CounterAction:
        def __init__(self):
            created.append(self)
            self.calls = 0

        def run(self, step=1, context=None):
            self.calls += step
            return self.calls, context["user_name"]

    @action()
    class AsyncRunAction:
        async def run(self, value):
            await asyncio.sleep(0)
            return value

    dispatcher = dispatcher_with(CounterAction, AsyncRunAction)
    assert created == []
    assert (await run(dispatcher, "counter")).return_value == (1, "Ada")
    assert (await run(dispatcher, "counter", {"step": 2})).return_value == (3, "Ada")
    assert len(created) == 1 and dispatcher.get("counter") is created[0]
    assert (await run(dispatcher, "AsyncRunAction", {"value": 5})).return_value == 5


async def test_runnable_like_and_chain_like_objects():
    class FakeRunnable:
        def __init__(self):
            self.inputs = []

        async def ainvoke(self, input, config=None):
            self.inputs.append(input)
            return {"echo": input}

    class FakeChain:
        input_keys = ["question", "__context__user_name"]

        def __init__(self, output_keys):
            self.output_keys = output_keys

        async def ainvoke(self, inputs):
            return {**inputs, "answer": inputs["question"] + "!",
                    "who": inputs["__context__user_name"]}

    runnable = FakeRunnable()
    dispatcher = dispatcher_with(runnable=runnable, one_output=FakeChain(["answer"]),
                                 two_outputs=FakeChain(["answer", "who"]))
    outcome = await run(dispatcher, "runnable", {"text": "$user_name"}, injected={"llm": 1})
    assert outcome.return_value == {"echo": {"text": "Ada"}}  # no special params
    assert (await run(dispatcher, "one_output", {"question": "why"})).return_value == "why!"
    outcome = await run(dispatcher, "two_outputs", {"question": "why"})
    assert outcome.return_value == {"answer": "why!", "who": "Ada"}


async def test_action_result_parts():
    @action()
    async def rich():
        return ActionResult(return_value=7, events=[{"type": "Custom"}],
                            context_updates={"seven": 7})

    outcome = await run(dispatcher_with(rich), "rich")
    assert (outcome.return_value, outcome.events, outcome.context_updates) == (
        7, [{"type": "Custom"}], {"seven": 7})
    assert isinstance(outcome.raw, ActionResult) and outcome.remote is False


async def test_failures_keep_the_original_exception():
    @action()
    async def broken(x):
        raise ZeroDivisionError(f"cannot divide {x}")

    outcome = await run(dispatcher_with(broken), "broken", {"x": 1})
    assert outcome.status == "failed" and not outcome.is_success
    assert isinstance(outcome.error, ZeroDivisionError)
    assert str(outcome.error) == "cannot divide 1"
    assert outcome.error.__traceback__ is not None
    wrong_params = await run(dispatcher_with(broken), "broken", {"y": 1})
    assert isinstance(wrong_params.error, TypeError)


async def test_class_whose_constructor_fails_is_tried_again():
    attempts = []

    @action()
    class Fragile:
        def __init__(self):
            attempts.append(1)
            if len(attempts) == 1:
                raise OSError("no config file")

        def run(self):
            return "ready"

    dispatcher = dispatcher_with(Fragile)
    outcome = await run(dispatcher, "Fragile")
    assert isinstance(outcome.error, OSError) and str(outcome.error) == "no config file"
    assert (await run(dispatcher, "Fragile")).return_value == "ready"
    assert (await run(dispatcher, "Fragile")).return_value == "ready"
    assert len(attempts) == 2


async def test_unknown_action_names_the_closest_ones():
    @action()
    async def check_facts():
        return True

    outcome = await run(dispatcher_with(check_facts), "check_fact")
    assert outcome.status == "failed" and isinstance(outcome.error, ActionNotFoundError)
    assert str(outcome.error) == "Action 'check_fact' not found. Closest registered: check_facts"
    assert outcome.error.action_name == "check_fact"


async def test_llm_call_errors_propagate():
    @action()
    async def calls_model():
        raise LLMCallError("model down", endpoint="http://127.0.0.1:1/v1", status=503)

    with pytest.raises(LLMCallError, match="model down"):
        await run(dispatcher_with(calls_model), "calls_model")


async def test_output_mapping_sets_blocked():
    @action(output_mapping=lambda allowed: not allowed)
    async def is_allowed(text):
        return "bad" not in text

    @action(output_mapping=lambda value: value["missing"])
    async def faulty_mapping():
        return {}

    dispatcher = dispatcher_with(is_allowed, faulty_mapping)
    assert (await run(dispatcher, "is_allowed", {"text": "fine"})).blocked is False
    assert (await run(dispatcher, "is_allowed", {"text": "bad"})).blocked is True
    failed = await run(dispatcher, "faulty_mapping")
    assert failed.status == "failed" and "output_mapping" in str(failed.error)
    assert isinstance(failed.error.__cause__, KeyError)


async def test_reference_execute_action_call():
    @action()
    async def echo(value):
        return ActionResult(return_value=value)

    result, status = await dispatcher_with(echo).execute_action("echo", {"value": 1})
    assert status == "success" and result == ActionResult(return_value=1)
    assert await dispatcher_with(echo).execute_action("nope", {}) == (None, "failed")


async def test_real_langchain_runnable():
    from langchain_core.runnables import RunnableLambda

    doubler = RunnableLambda(lambda inputs: inputs["x"] * 2)
    outcome = await run(dispatcher_with(double=doubler), "double", {"x": "$count"})
    assert outcome.return_value == 6
