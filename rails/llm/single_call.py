"""Few-shot examples for single-call mode (spec §3.13): each example shows a user message,
its intent, the flow's continuation and a bot message, so one completion can predict all
three."""
from __future__ import annotations

from typing import Any


async def single_call_examples(indexes: Any, text: str) -> tuple[list[str], list[str]]:
    """Few-shot blocks `user "x"\\n  intent\\n<flow continuation>\\n  "bot text"`, best
    first, for intents that have a flow."""
    index = indexes.user_messages
    hits = await index.search(text, max_results=10) if index is not None else []
    potential: list[str] = []
    for hit in hits:
        if hit.meta["intent"] not in potential:
            potential.append(hit.meta["intent"])
    flows = {intent: await indexes.search_flows(intent, 2) for intent in potential}
    examples: list[str] = []
    for hit in hits:
        if len(examples) >= 5:
            break
        intent = hit.meta["intent"]
        continuation = next((source.split("\n", 1)[1] for source in flows.get(intent, [])
                             if "\n" in source and source.split("\n", 1)[0][5:] == intent),
                            None)
        if continuation is None:
            continue
        example = f'user "{hit.text}"\n  {intent}\n{continuation}\n'
        last_line = continuation.rsplit("\n", 1)[-1]
        if last_line.startswith("bot "):
            example += await _example_bot_text(indexes, last_line[4:])
        examples.append(example + "\n")
    return examples, potential

async def _example_bot_text(indexes: Any, bot_intent: str) -> str:
    index = indexes.bot_messages
    if index is not None:
        for hit in await index.search(bot_intent, max_results=1):
            if hit.text == bot_intent:
                return f'  "{hit.meta["text"]}"\n'
    return f"  # On the next line write a bot message for {bot_intent}\n"
