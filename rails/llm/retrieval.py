"""Knowledge-base retrieval as context updates, and `retrieve_relevant_chunks` as a standalone
action (NeMo's `nemoguardrails.actions.retrieve_relevant_chunks`) for code that calls it with a
knowledge base of its own. Configs get it from the generation actions, which know their KB."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions.decorator import ActionResult, action


def retrieval_result(context: dict, chunks: Optional[list[str]]) -> ActionResult:
    """`$relevant_chunks` (one string), `$relevant_chunks_sep` (the list) and `$retrieved_for`
    (the message they answer); `chunks` is None when there is no knowledge base to search."""
    if chunks is not None:
        updates = {"relevant_chunks": "\n".join(chunks), "relevant_chunks_sep": chunks,
                   "retrieved_for": context.get("last_user_message")}
    else:
        # The previous chunks stay; the reference appends a newline every turn, and configs
        # may rely on the exact text.
        updates = {"relevant_chunks": (context.get("relevant_chunks") or "") + "\n",
                   "relevant_chunks_sep": context.get("relevant_chunks_sep") or [],
                   "retrieved_for": None}
    return ActionResult(return_value=updates["relevant_chunks"], context_updates=updates)


@action(is_system_action=True)
async def retrieve_relevant_chunks(context: Optional[dict] = None, kb: Any = None) -> ActionResult:
    context = context or {}
    user_message = context.get("last_user_message")
    if not user_message or kb is None:
        return retrieval_result(context, None)
    chunks = [chunk["body"] for chunk in await kb.search_relevant_chunks(user_message)]
    return retrieval_result(context, chunks)
