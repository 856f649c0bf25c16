"""The model choosing actions: engine time per tool-choice step (offer, argument checks,
permission, running the action, feeding the result back) with 50 actions registered and a
zero-latency model, and the `validate` checks of 100 actions per turn.

    python benchmarks/tool_choice.py [--turns 300]

The model is a native (OpenAI-engine-shaped) fake that answers instantly: first a tool call,
then the answer, so one choice is two steps; the figure is the whole choice's time divided by
its steps, i.e. the engine's cost per step without the LLM. NeMo Guardrails has no such loop,
so there is no reference figure."""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from rails.actions import ActionDispatcher, action
from rails.actions.choice.loop import ChoiceLoop
from rails.actions.choice.offer import offered_tools
from rails.llm.call import Completion


class InstantToolModel:
    """Answers a chat-with-tools call at once: a call of `tool`, then a text answer."""

    is_native_rails_model = True
    api = "chat"
    model = "instant"

    def __init__(self, tool: str):
        self.tool, self.calls = tool, 0

    async def chat_with_tools(self, messages, tools, **options):
        self.calls += 1
        if messages[-1]["role"] != "tool":
            return Completion(text="", tool_calls=[{
                "id": "c1", "type": "function",
                "function": {"name": self.tool, "arguments": '{"city": "Oslo", "days": 3}'}}],
                raw={"choices": [{"message": {}}]})
        return Completion(text="Sunny in Oslo.", raw={"choices": [{"message": {}}]})


def registry(count: int, with_validate: bool) -> ActionDispatcher:
    dispatcher = ActionDispatcher(load_all_actions=False)
    for number in range(count):
        def make(number: int):
            if not with_validate:
                check = None
            elif number % 2:
                check = f"'topic{number % 7}' in $message or $plan == 'pro'"
            else:
                def check(message, context, topic=f"topic{number % 7}"):
                    return topic in (message or "") or context.get("plan") == "pro"

            @action(name=f"action_{number}", description=f"Action number {number}",
                    read_only=True, similes=[f"ALIAS_{number}"], validate=check)
            async def run(city: str, days: int = 1):
                return {"city": city, "days": days, "sky": "sunny"}

            return run

        dispatcher.register_action(make(number))
    return dispatcher


async def tool_choice_steps(turns: int) -> list[float]:
    dispatcher = registry(50, with_validate=False)
    context = {"user_message": "weather in Oslo for three days?"}
    per_step = []
    for _ in range(turns):
        model = InstantToolModel("action_17")
        started = time.perf_counter()
        offers, _ = await offered_tools(dispatcher, None, message=context["user_message"],
                                        context=context)
        loop = ChoiceLoop(dispatcher=dispatcher, llm=model)
        result = await loop.run([{"role": "user", "content": context["user_message"]}],
                                offers, context=context)
        elapsed = time.perf_counter() - started
        assert result.text == "Sunny in Oslo." and len(result.steps) == 2, result
        per_step.append(elapsed / len(result.steps))
    return per_step


async def validate_turns(turns: int) -> list[float]:
    dispatcher = registry(100, with_validate=True)
    times = []
    for turn in range(turns):
        context = {"plan": "free" if turn % 2 else "pro"}
        message = f"tell me about topic{turn % 7}"
        started = time.perf_counter()
        offers, _ = await offered_tools(dispatcher, None, message=message, context=context)
        times.append(time.perf_counter() - started)
        assert offers
    return times


def figures(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    print(f"{label:<62} p50 {p50:7.3f} ms   p95 {p95:7.3f} ms")


async def main(turns: int) -> None:
    await tool_choice_steps(20)  # warm-up: signatures read, conditions compiled
    await validate_turns(20)
    figures("engine time per tool-choice step, 50 actions, no LLM",
            await tool_choice_steps(turns))
    figures("validate + permission of 100 actions, one turn", await validate_turns(turns))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    asyncio.run(main(parser.parse_args().turns))
