"""Actions declared as data: LLM-prompt templates (seed 002), from a config's
`declared_actions`, from code, or registered per organisation on the actions server.

    from rails.actions.declared import LLMAction
    action = LLMAction.from_dict({"action_name": "summarize_document", "kind": "llm",
                                  "template": "Summarize:\\n\\n{{document_text}}"})
    app.register_action(action)                      # an LLMRails: flows can execute it
    result = await action.complete({"document_text": text}, llm=model)

Modules: `template` (placeholders, substitution), `declaration` (the fields, checked),
`action` (rendering, the model call, structured output), `structured` (JSON reading and
repair), `models` (which model), `registration` (config actions), `store*` (per-organisation
persistence), `registry` (look-ups with compiled actions cached), `workflow` (JSON steps)."""
from __future__ import annotations

from rails.actions.declared.action import LLMAction, LLMActionResult
from rails.actions.declared.declaration import LLMActionDeclaration, parse_declaration
from rails.actions.declared.errors import (ActionInputError, ActionOutputError,
                                           DeclarationError, UnknownModelError)

__all__ = ["ActionInputError", "ActionOutputError", "DeclarationError", "LLMAction",
           "LLMActionDeclaration", "LLMActionResult", "UnknownModelError", "parse_declaration"]
