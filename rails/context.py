"""The context variables NeMo Guardrails code reads and sets (`nemoguardrails.context`).

They are the engine's own variables, so setting one has its effect: a `StreamingHandler` set as
`streaming_handler_var` receives the tokens of every model call in that context, and an
`LLMCallInfo` set as `llm_call_info_var` names the task of the next `llm_call` that has none.
During a turn, `explain_info_var` holds the turn's call log (`.llm_calls`, as NeMo's)."""
from __future__ import annotations

from rails.llm.call import current_call_log as explain_info_var
from rails.llm.call import llm_call_info as llm_call_info_var
from rails.llm.call import streaming_handler as streaming_handler_var
from rails.llm.passthrough import raw_llm_request

__all__ = ["explain_info_var", "llm_call_info_var", "raw_llm_request", "streaming_handler_var"]
