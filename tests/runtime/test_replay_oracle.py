"""The incremental interpreter against a replaying one (the reference's strategy: rebuild the
state from the whole history at every step), on randomized conversations."""
from __future__ import annotations

import random

import pytest

from rails import LLMRails, RailsConfig
from rails.actions import ActionResult, action
from rails.events import new_event_dict

COLANG = '''
define flow shoes
  user ask for shoes
  bot ask size
  user provide size
  $size_count = $size_count + 1 if $size_count else 1
  bot confirm size

define flow weather
  user ask weather
  bot inform weather

define flow checkout
  user checkout
  $total = execute compute_total
  if $total > 10
    bot say expensive
  else
    bot say cheap
  do confirm purchase
  bot say done

define subflow confirm purchase
  bot ask confirm
  when user agree
    bot thank
  else when user refuse
    bot cancel
    stop

define flow risky
  user do risky thing
  execute risky_action
  bot risky done

define flow counting
  user count
  $i = 0
  while $i < 3
    $i = $i + 1
    bot tick

define flow
  user ask loop question
  bot ask again
  when user agree
    bot great
  else when user ask weather
    bot weather again
'''

INTENTS = ["ask for shoes", "ask weather", "provide size", "checkout", "agree", "refuse",
           "do risky thing", "count", "ask loop question", "something unknown"]


def build(seed: int, replaying: bool) -> LLMRails:
    config = RailsConfig.from_content(colang_content=COLANG)
    app = LLMRails(config)
    rng = random.Random(seed)

    @action(is_system_action=True)
    async def generate_user_intent(events):
        text = [e for e in events if e["type"] == "UserMessage"][-1]["text"]
        return ActionResult(events=[new_event_dict("UserIntent", intent=text)])

    @action(is_system_action=True)
    async def generate_next_step(events):
        return ActionResult(events=[new_event_dict("BotIntent", intent="general response")])

    @action(is_system_action=True)
    async def generate_bot_message(events, context):
        intent = [e for e in events if e["type"] == "BotIntent"][-1]["intent"]
        return ActionResult(events=[new_event_dict("BotMessage", text=f"say {intent}")])

    @action()
    async def compute_total():
        return rng.choice([5, 50])

    @action()
    async def risky_action():
        if rng.random() < 0.5:
            raise RuntimeError("unlucky")
        return "ok"

    for fn in (generate_user_intent, generate_next_step, generate_bot_message, compute_total,
               risky_action):
        app.register_action(fn)
    if replaying:
        runtime = app.runtime

        def replay_everything(state, events):
            state.become(runtime.replay(events))

        runtime._catch_up = replay_everything
    return app


def signature(events: list[dict]) -> list[tuple]:
    keys = ("type", "intent", "action_name", "script", "text", "status", "flow_id")
    return [tuple(str(e.get(k)) for k in keys) + (str(sorted((e.get("data") or {}).items())),)
            for e in events]


@pytest.mark.parametrize("seed", range(12))
def test_incremental_state_matches_full_replay(seed):
    rng = random.Random(1000 + seed)
    turns = [rng.choice(INTENTS) for _ in range(14)]
    transcripts = []
    for replaying in (False, True):
        app = build(seed, replaying)
        events: list[dict] = []
        for text in turns:
            events.append({"type": "UtteranceUserActionFinished", "final_transcript": text})
            events += app.generate_events(list(events))
        transcripts.append(signature(events))
    assert transcripts[0] == transcripts[1]
    assert len(transcripts[0]) > 14 * 5
