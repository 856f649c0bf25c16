"""`LLMAction`: a declared action that fills its template and asks a model.

    action = LLMAction.from_dict({"action_name": "summarize_document", "kind": "llm",
                                  "template": "Summarize:\\n\\n{{document_text}}",
                                  "outputKey": "summary"})
    result = await action.complete({"document_text": text}, llm=model)
    result.value          # the text (or the parsed JSON, for structured output)
    app.register_action(action)   # LLMRails: flows can `execute summarize_document(...)`

Registered in an `ActionDispatcher`, its `run` is what the engine calls; it injects
`llm` (the main model, or `<action>_llm`), `llms` and `config`, which decide the model;
outside the engine (the actions server) the `models` given here (name -> model) do. It is a
system action: it always runs in-process, never on the remote actions server of
`actions_server_url`. With `outputKey`, the value also goes to that context variable.

The model call goes through `rails.llm.call.llm_call` (logged in the turn's call log with
the task `llm_action:<name>`, its tokens and duration) with the action's temperature and
max_tokens, within its timeout."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from rails.actions.declared import structured
from rails.actions.declared.declaration import LLMActionDeclaration, parse_declaration
from rails.actions.declared.errors import ActionInputError, ActionOutputError, LLMTimeoutError
from rails.actions.declared.models import configured_models, resolve_model
from rails.actions.decorator import ActionResult
from rails.actions.declared.template import MAX_PROMPT_CHARS

TASK_PREFIX = "llm_action:"
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class LLMActionResult:
    value: Any                 # the text, or the parsed JSON
    text: str                  # the model's (last) answer as it came
    prompt: str                # the rendered prompt
    repaired: bool = False     # structured output needed the repair attempt


class LLMAction:
    def __init__(self, declaration: LLMActionDeclaration, *,
                 models: Optional[Mapping[str, Any]] = None):
        self.declaration = declaration
        self.models = dict(models or {})
        self.action_meta = {**declaration.meta(), "is_system_action": True,
                            "execute_async": False, "output_mapping": None, "declared": True}
        self.__doc__ = declaration.description or None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *,
                  models: Optional[Mapping[str, Any]] = None) -> "LLMAction":
        """Raises DeclarationError naming each wrong field."""
        return cls(parse_declaration(data), models=models)

    async def run(self, context: Optional[dict] = None, llm: Any = None,
                       llms: Optional[dict] = None, config: Any = None,
                       **values: Any) -> Any:
        if context is not None:
            self._reject_unset_variables(values, context)
        if llms is not None or llm is not None:
            known = configured_models(llms, getattr(config, "models", None) or ())
        else:
            known = self.models
        model = resolve_model(self.name, self.declaration.model, known, default=llm)
        result = await self.complete(values, llm=model)
        if self.output_key:
            return ActionResult(return_value=result.value,
                                context_updates={self.output_key: result.value})
        return result.value

    @property
    def name(self) -> str:
        return self.declaration.action_name

    @property
    def output_key(self) -> Optional[str]:
        return self.declaration.output_key

    def meta(self) -> dict:
        return self.declaration.meta()

    def decide(self, caller: str, identity: Any) -> Any:
        """The rails.policy Decision for `caller` running this action as `identity` (its
        `roles` and `callers`; an organisation's own action needs no `organisations`)."""
        from rails.actions.metadata import normalize_metadata
        from rails.policy.rules import decide

        metadata = normalize_metadata(self.name, self.action_meta)
        return decide(self.name, metadata, self.action_meta, caller, identity)

    def render(self, values: Mapping[str, Any]) -> str:
        """The prompt for `values` (one per placeholder). Raises ActionInputError naming the
        placeholder without a value, or a value the template has no placeholder for."""
        declaration = self.declaration
        placeholders = declaration.placeholders
        missing = [name for name in placeholders if values.get(name) is None]
        if missing:
            given = ", ".join(sorted(values)) or "none"
            raise ActionInputError(
                f"action '{self.name}': no value for the placeholder "
                f"{', '.join('{{' + name + '}}' for name in missing)} (values given: {given})",
                action_name=self.name, parameter=missing[0])
        unknown = [name for name in values if name not in placeholders]
        if unknown:
            raise ActionInputError(
                f"action '{self.name}': its template has no placeholder "
                f"{', '.join('{{' + name + '}}' for name in unknown)} (placeholders: "
                f"{', '.join(placeholders) or 'none'})", action_name=self.name,
                parameter=unknown[0])
        prompt = declaration.template.render(values)
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ActionInputError(
                f"action '{self.name}': the prompt would be {len(prompt)} characters long; "
                f"the limit is {MAX_PROMPT_CHARS}", action_name=self.name)
        return prompt

    async def complete(self, values: Mapping[str, Any], *, llm: Any) -> LLMActionResult:
        """Render the prompt for `values`, ask `llm`, read the answer (as JSON when the
        action asks for it, with one repair attempt)."""
        prompt = self.render(values)
        reply = await self._ask(llm, prompt, TASK_PREFIX + self.name)
        declaration = self.declaration
        if not declaration.wants_json:
            return LLMActionResult(reply, reply, prompt)
        try:
            return LLMActionResult(structured.read_json(reply, declaration.output_schema),
                                   reply, prompt)
        except structured.NotStructured as first:
            problem = str(first)
        retry = structured.repair_prompt(prompt, reply, problem, declaration.output_schema)
        second = await self._ask(llm, retry, TASK_PREFIX + self.name + ":repair")
        try:
            value = structured.read_json(second, declaration.output_schema)
        except structured.NotStructured as error:
            raise ActionOutputError(
                f"action '{self.name}' asked for JSON"
                f"{' matching its output_schema' if declaration.output_schema else ''}; "
                f"the model's answer failed ({problem}) and so did its repair ({error})",
                action_name=self.name, reply=second) from None
        return LLMActionResult(value, second, prompt, repaired=True)

    async def _ask(self, llm: Any, prompt: str, task: str) -> str:
        import asyncio

        from rails.llm.call import llm_call

        declaration = self.declaration
        try:
            return await asyncio.wait_for(
                llm_call(llm, prompt, task=task, temperature=declaration.temperature,
                         max_tokens=declaration.max_tokens), declaration.timeout)
        except asyncio.TimeoutError:
            raise LLMTimeoutError(f"action '{self.name}': the model did not answer within "
                                  f"{declaration.timeout:g}s (the action's timeout)") from None

    def _reject_unset_variables(self, values: dict, context: Mapping) -> None:
        """`execute a(text=$doc)` with no `$doc` in the context reaches an action as the
        literal text "$doc" (the reference's rule); in a prompt that is never what was
        meant."""
        for name, value in values.items():
            if isinstance(value, str) and _VARIABLE.fullmatch(value) \
                    and value[1:] not in context:
                raise ActionInputError(
                    f"action '{self.name}': the value of {{{{{name}}}}} is the variable "
                    f"{value}, which is not set in this conversation", action_name=self.name,
                    parameter=name)

    def __repr__(self) -> str:
        return f"LLMAction({self.name!r})"
