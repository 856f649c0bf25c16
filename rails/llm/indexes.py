"""The three search indexes the generation actions use (spec §6.6): user message examples
(by example text), bot messages (by message name) and flows (one entry per line of every
non-system flow's source)."""
from __future__ import annotations

from typing import Any, Callable


def flow_source(flow: dict) -> str:
    """The flow's body as Colang (dedented, no `define` line), or a plain rendering of its
    steps when it has no source (flows given in YAML)."""
    source = flow.get("source_code")
    if source:
        return source
    lines: list[str] = []
    for element in flow.get("elements") or []:
        kind = element.get("_type")
        if kind == "UserIntent":
            lines.append(f"user {element.get('intent_name')}")
        elif kind == "run_action" and element.get("action_name") == "utter":
            lines.append(f"bot {(element.get('action_params') or {}).get('value')}")
        elif kind == "run_action":
            lines.append(f"execute {element.get('action_name')}")
    return "\n".join(lines)


def is_system_flow(flow: dict, system_flow_ids: set[str]) -> bool:
    meta = flow.get("meta") or {}
    return bool(flow.get("is_system_flow") or meta.get("is_system_flow")
                or flow.get("id") in system_flow_ids)


class GenerationIndexes:
    """Builds and queries the indexes; an index is None when it would be empty."""

    def __init__(self, config: Any, system_flow_ids: set[str],
                 make_index: Callable[[], Any]):
        self.config = config
        self.system_flow_ids = system_flow_ids
        self.make_index = make_index
        self.user_messages: Any = None
        self.bot_messages: Any = None
        self.flows: Any = None

    async def build(self) -> None:
        import asyncio  # here: constructing LLMRails needs no event loop machinery

        self.user_messages, self.bot_messages, self.flows = await asyncio.gather(
            self._build(self._user_message_items()), self._build(self._bot_message_items()),
            self._build(self._flow_items()))

    async def _build(self, items: list) -> Any:
        if not items:
            return None
        index = self.make_index()
        await index.add_items(items)
        await index.build()
        return index

    def _item(self, text: str, meta: dict) -> Any:
        from rails.index import IndexItem

        return IndexItem(text=text, meta=meta)

    def _user_message_items(self) -> list:
        return [self._item(text, {"intent": intent})
                for intent, examples in (self.config.user_messages or {}).items()
                for text in examples]

    def _bot_message_items(self) -> list:
        return [self._item(name, {"text": text})
                for name, variants in (self.config.bot_messages or {}).items()
                for text in variants]

    def _flow_items(self) -> list:
        items = []
        for flow in self.config.flows or []:
            if is_system_flow(flow, self.system_flow_ids):
                continue
            source = flow_source(flow)
            items.extend(self._item(line, {"flow": source})
                         for line in source.split("\n") if line.strip())
        return items

    async def search_flows(self, text: str, max_results: int) -> list[str]:
        """Sources of the distinct flows best matching `text`, best first."""
        if self.flows is None:
            return []
        seen: list[str] = []
        for hit in await self.flows.search(text, max_results=10):
            source = hit.meta["flow"]
            if source not in seen:
                seen.append(source)
        return seen[:max_results]
