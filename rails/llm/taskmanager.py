"""LLMTaskManager: picks the prompt of a task, renders it in a Jinja sandbox and parses the
model's answer (spec §6.1-§6.5).

One sandboxed environment per manager; every template string is compiled once and kept with
the names it references, so a render costs only the render itself.
"""
from __future__ import annotations

import logging
from ast import literal_eval
from typing import Any, Callable, Optional, Union

from rails.errors import ConfigError
from rails.llm.filters import BUILTIN_FILTERS
from rails.llm.output_parsers import BUILTIN_OUTPUT_PARSERS
from rails.llm.prompt_store import (PromptSpec, builtin_prompts, select_prompt,
                                    task_model_string, to_prompt_spec)
from rails.llm.types import Task, task_name

log = logging.getLogger("rails.llm")

Prompt = Union[str, list]


class PromptTooLongError(ConfigError):
    """The prompt of a task stays longer than its max_length even with no history left."""


class LLMTaskManager:
    """Renders task prompts and parses task outputs for one configuration."""

    def __init__(self, config: Any):
        self.config = config
        self._env: Any = None  # the jinja2 sandbox, created at the first render (start-up time)
        self._custom_filters: dict[str, Callable] = {}
        self.output_parsers: dict[str, Callable] = dict(BUILTIN_OUTPUT_PARSERS)
        self.prompt_context: dict[str, Any] = {}
        self._templates: dict[str, tuple[Any, frozenset]] = {}
        self._prompt_cache: dict[tuple, PromptSpec] = {}

    # -- registration --------------------------------------------------------------------

    @property
    def env(self) -> Any:
        if self._env is None:
            from jinja2.sandbox import SandboxedEnvironment

            env = SandboxedEnvironment()
            env.filters.update(BUILTIN_FILTERS)
            env.filters.update(self._custom_filters)
            self._env = env
        return self._env

    def register_filter(self, filter_fn: Callable, name: Optional[str] = None) -> None:
        self._custom_filters[name or filter_fn.__name__] = filter_fn
        if self._env is not None:
            self._env.filters[name or filter_fn.__name__] = filter_fn
        self._templates.clear()  # compiled templates bind filters at compile time

    def register_output_parser(self, output_parser: Callable, name: str) -> None:
        self.output_parsers[name] = output_parser

    def register_prompt_context(self, name: str, value_or_fn: Any) -> None:
        """A value (or a callable computed at each render) available to every template."""
        self.prompt_context[name] = value_or_fn

    # -- prompt selection ----------------------------------------------------------------

    def _config_prompts(self) -> list:
        return list(getattr(self.config, "prompts", None) or [])

    def get_prompt(self, task: Union[str, Task]) -> PromptSpec:
        name = task_name(task)
        config_prompts = self._config_prompts()
        mode = getattr(self.config, "prompting_mode", None) or "standard"
        model = task_model_string(getattr(self.config, "models", None), name)
        key = (name, model, mode, len(config_prompts), id(getattr(self.config, "prompts", None)))
        cached = self._prompt_cache.get(key)
        if cached is not None:
            return cached
        candidates = list(builtin_prompts()) + [to_prompt_spec(p) for p in config_prompts]
        prompt = select_prompt(name, model, mode, candidates)
        if prompt is None:
            raise ConfigError(f"no prompt for task '{name}' (model '{model}', mode '{mode}'); "
                              f"add one with `task: {name}` to prompts.yml", key="prompts")
        self._prompt_cache[key] = prompt
        return prompt

    def has_config_prompt(self, task: Union[str, Task]) -> bool:
        """Whether the configuration itself (not the built-ins) defines a prompt for `task`."""
        name = task_name(task)
        return any(task_name(_field(p, "task")) == name for p in self._config_prompts())

    # -- rendering -----------------------------------------------------------------------

    def _compiled(self, source: str) -> tuple[Any, frozenset]:
        compiled = self._templates.get(source)
        if compiled is None:
            from jinja2 import meta

            names = frozenset(meta.find_undeclared_variables(self.env.parse(source)))
            compiled = (self.env.from_string(source), names)
            self._templates[source] = compiled
        return compiled

    def _general_instructions(self) -> str:
        for instruction in getattr(self.config, "instructions", None) or []:
            if _field(instruction, "type") == "general":
                return _field(instruction, "content") or ""
        return ""

    def _render_string(self, source: str, context: Optional[dict],
                       events: Optional[list]) -> str:
        template, names = self._compiled(source)
        sample = getattr(self.config, "sample_conversation", None)
        values: dict[str, Any] = {
            "history": events,
            "general_instructions": self._general_instructions(),
            "sample_conversation": sample,
            "sample_conversation_two_turns": sample,
        }
        if context:
            for name in names:
                if name in context:
                    values[name] = context[name]
        for name in names:
            if name in self.prompt_context:
                value = self.prompt_context[name]
                values[name] = value() if callable(value) else value
        return template.render(values)

    def _render_messages(self, prompt: PromptSpec, context: Optional[dict],
                         events: Optional[list]) -> list[dict]:
        messages: list[dict] = []
        for item in prompt.messages or ():
            if isinstance(item, str):
                text = self._render_string(item, context, events)
                try:
                    rendered = literal_eval(text)
                except (SyntaxError, ValueError) as error:
                    raise ConfigError(
                        f"the messages template {item!r} of task '{prompt.task}' must render to "
                        f"a list of messages, got {text[:200]!r}", key="prompts") from error
                if not isinstance(rendered, (list, tuple)):
                    raise ConfigError(f"the messages template {item!r} of task '{prompt.task}' "
                                      "rendered to something other than a list", key="prompts")
                messages.extend(rendered)
            else:
                kind, source = item
                content = self._render_string(source, context, events)
                if content.strip():
                    messages.append({"type": kind, "content": content})
        return messages

    def render_task_prompt(self, task: Union[str, Task], context: Optional[dict] = None,
                           events: Optional[list] = None,
                           force_string_to_message: bool = False) -> Prompt:
        """The prompt for `task`: a string for `content` prompts, a list of `{type, content}`
        for `messages` prompts. When it exceeds the prompt's `max_length`, the oldest events
        are left out of the history: as few as possible for the prompt to fit."""
        prompt = self.get_prompt(task)
        events = list(events) if events else []
        rendered, length = self._render(prompt, context, events)
        if length > prompt.max_length:
            rendered = self._fit(prompt, context, events, length)
        if force_string_to_message and isinstance(rendered, str):
            return [{"type": "user", "content": rendered}]
        return rendered

    def _render(self, prompt: PromptSpec, context: Optional[dict],
                events: list) -> tuple[Prompt, int]:
        if prompt.content is not None:
            text = self._render_string(prompt.content, context, events)
            return text, len(text)
        messages = self._render_messages(prompt, context, events)
        return messages, sum(len(m["content"]) + 1 for m in messages)

    def _fit(self, prompt: PromptSpec, context: Optional[dict], events: list,
             length: int) -> Prompt:
        """The prompt with the fewest oldest events dropped that fits. Dropping events only
        shortens the history, so the smallest count is found by galloping then bisecting
        (a few renders instead of one per event of a long conversation)."""
        renders: dict[int, tuple[Prompt, int]] = {}

        def fits(dropped: int) -> bool:
            if dropped not in renders:
                renders[dropped] = self._render(prompt, context, events[dropped:])
            return renders[dropped][1] <= prompt.max_length

        if not fits(len(events)):
            raise PromptTooLongError(
                f"the prompt of task '{prompt.task}' is {renders[len(events)][1]} characters, "
                f"over its max_length of {prompt.max_length}, even with no conversation "
                "history", key="prompts")
        low, high = 0, 1  # low never fits; find a high that does
        while high < len(events) and not fits(high):
            low, high = high, min(high * 2, len(events))
        while high - low > 1:
            middle = (low + high) // 2
            if fits(middle):
                high = middle
            else:
                low = middle
        return renders[high][0]

    # -- parsing and call settings -------------------------------------------------------

    def has_output_parser(self, task: Union[str, Task]) -> bool:
        return self.get_prompt(task).output_parser is not None

    def parse_task_output(self, task: Union[str, Task], output: str) -> Any:
        """The completion through the prompt's output parser (unchanged without one)."""
        name = self.get_prompt(task).output_parser
        if not name:
            return output
        parser = self.output_parsers.get(name)
        if parser is None:
            raise ConfigError(f"the prompt of task '{task_name(task)}' names the output parser "
                              f"'{name}', which is not registered (known: "
                              f"{', '.join(sorted(self.output_parsers))})", key="prompts")
        return parser(output)

    def get_stop_tokens(self, task: Union[str, Task]) -> Optional[list[str]]:
        stop = self.get_prompt(task).stop
        return list(stop) if stop else None

    def get_max_tokens(self, task: Union[str, Task]) -> Optional[int]:
        return self.get_prompt(task).max_tokens


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
