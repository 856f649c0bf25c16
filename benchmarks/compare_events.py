"""Run the same conversations on dialog-rails and on the reference engine and diff the events.

    DIALOG_RAILS_REFERENCE_PYTHON=/path/to/venv/bin/python python benchmarks/compare_events.py

Both engines get the same config and the same deterministic stand-ins for the model-backed
actions (the intent is the user's text; next steps and bot messages are derived from the
intent), so any difference in the event streams is a difference of the interpreters. Prints
one line per scenario and the first differing events; exits 1 on any difference.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

SCENARIOS = {
    "two bot steps, if/else, set": {
        "colang": """
define flow order status
  user ask order status
  bot acknowledge request
  bot report order status

define flow
  user greet
  bot greet back
  $n = 1
  if $n == 1
    bot say one
  else
    bot say other
""",
        "turns": ["ask order status", "greet", "something else"],
    },
    "interruption, subflows, when, stop, failures, loops": {
        "colang": """
define flow shoes
  user ask for shoes
  bot ask size
  user provide size
  bot confirm size

define flow
  user ask weather
  bot say sunny

define flow checkout
  user checkout
  $total = execute compute_total
  if $total > 10
    bot say expensive
  else
    bot say cheap
  do confirm sub
  bot done

define subflow confirm sub
  bot ask confirm
  when user agree
    bot thanks
  else when user refuse
    bot ok cancel
    stop

define flow fails
  user break things
  execute broken_action
  bot never

define flow loop
  user count
  $i = 0
  while $i < 3
    $i = $i + 1
    bot tick
""",
        "turns": ["ask for shoes", "ask weather", "provide size", "checkout", "agree",
                  "break things", "count", "checkout", "refuse", "ask weather"],
    },
    "input and output rails": {
        "colang": """
define subflow check input
  $allowed = execute check_input
  if not $allowed
    bot refuse to respond
    stop

define subflow check output
  $ok = execute check_output
  if not $ok
    bot refuse to respond
    stop

define flow
  user greet
  bot greet back
  bot offer help

define bot refuse to respond
  "no"
""",
        "input": ["check input"], "output": ["check output"],
        "turns": ["greet", "greet", "other", "blocked: greet", "greet", "unsafe: greet"],
    },
}

KEYS = ("type", "intent", "action_name", "script", "text", "status", "flow_id")


# -- one engine ---------------------------------------------------------------------------------

def run(engine: str, scenario: dict) -> list:
    import asyncio
    import logging

    logging.disable(logging.CRITICAL)
    if engine == "rails":
        from rails import LLMRails, RailsConfig
        from rails.actions import ActionResult, action
        from rails.events import new_event_dict
    else:
        from nemoguardrails import LLMRails, RailsConfig
        from nemoguardrails.actions import action
        from nemoguardrails.actions.actions import ActionResult
        from nemoguardrails.utils import new_event_dict
        from reference_offline import use_offline_index

        use_offline_index("none")

    rails_yaml = {"rails": {"input": {"flows": scenario.get("input", [])},
                            "output": {"flows": scenario.get("output", [])}}}
    config = RailsConfig.from_content(colang_content=scenario["colang"] + _DIALOG_MODE,
                                      config=rails_yaml)
    app = LLMRails(config)
    current = {"text": ""}

    @action(is_system_action=True)
    async def generate_user_intent(events):
        text = [e for e in events if e["type"] == "UserMessage"][-1]["text"]
        return ActionResult(events=[new_event_dict("UserIntent", intent=text.split(": ")[-1])])

    @action(is_system_action=True)
    async def generate_next_step(events):
        return ActionResult(events=[new_event_dict("BotIntent", intent="general response")])

    @action(is_system_action=True)
    async def generate_bot_message(events, context):
        intent = [e for e in events if e["type"] == "BotIntent"][-1]["intent"]
        updates = {"skip_output_rails": True} if intent == "refuse to respond" else {}
        return ActionResult(events=[new_event_dict("BotMessage", text=f"say {intent}")],
                            context_updates=updates)

    @action(is_system_action=True)
    async def retrieve_relevant_chunks():
        return ActionResult(return_value="", context_updates={})

    @action()
    async def compute_total():
        return 42

    @action()
    async def broken_action():
        raise RuntimeError("broken on purpose")

    @action()
    async def check_input():
        return not current["text"].startswith("blocked")

    @action()
    async def check_output():
        return not current["text"].startswith("unsafe")

    for fn in (generate_user_intent, generate_next_step, generate_bot_message,
               retrieve_relevant_chunks, compute_total, broken_action, check_input,
               check_output):
        app.register_action(fn)

    async def conversation():
        messages = []
        for text in scenario["turns"]:
            current["text"] = text
            messages.append({"role": "user", "content": text})
            reply = await app.generate_async(messages=messages, state=None)
            messages.append(reply)
        return messages

    asyncio.run(conversation())
    events = _last_history(app, engine)
    return [[str(event.get(key)) for key in KEYS] + [_data(event)] for event in events]


_DIALOG_MODE = '\ndefine user placeholder intent\n  "placeholder"\n'


def _data(event: dict) -> str:
    data = event.get("data")
    if not isinstance(data, dict):
        return ""
    return json.dumps({k: v for k, v in data.items() if k != "generation_options"},
                      sort_keys=True, default=str)


def _last_history(app, engine: str) -> list:
    if engine == "rails":
        return list(app._history.values())[-1][0]
    return list(app.events_history_cache.values())[-1]


# -- driver -------------------------------------------------------------------------------------

def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--engine":
        print(json.dumps({name: run(sys.argv[2], s) for name, s in SCENARIOS.items()}))
        return 0
    reference = os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON")
    if not reference:
        print("set DIALOG_RAILS_REFERENCE_PYTHON to an interpreter with nemoguardrails installed")
        return 0
    results = {}
    for engine, python in (("rails", sys.executable), ("reference", reference)):
        out = subprocess.run([python, __file__, "--engine", engine], capture_output=True,
                             text=True)
        if out.returncode != 0:
            print(f"{engine} failed:\n{out.stderr[-2000:]}")
            return 1
        results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    differences = 0
    for name in SCENARIOS:
        ours, theirs = results["rails"][name], results["reference"][name]
        if ours == theirs:
            print(f"same      {name}: {len(ours)} events")
            continue
        differences += 1
        index = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b),
                     min(len(ours), len(theirs)))
        print(f"DIFFERENT {name}: {len(ours)} vs {len(theirs)} events, first at {index}")
        print("  ours:     ", ours[index:index + 3])
        print("  reference:", theirs[index:index + 3])
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
