"""The built-in prompts (YAML files beside this module) and the selection rule that picks one
prompt per task for the configured model (spec §6.1)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from rails.errors import ConfigError

PROMPTS_DIR = Path(__file__).parent / "prompts"
DEFAULT_MAX_LENGTH = 16000


@dataclass(frozen=True)
class PromptSpec:
    """One task prompt: a `content` template (completion models) or a list of `messages`
    templates (chat models), plus how to parse and bound the call."""
    task: str
    content: Optional[str] = None
    messages: Optional[tuple] = None  # items: str template, or (type, content template)
    models: tuple = ()
    output_parser: Optional[str] = None
    max_length: int = DEFAULT_MAX_LENGTH
    mode: str = "standard"
    stop: Optional[tuple] = None
    max_tokens: Optional[int] = None
    source: str = field(default="", compare=False)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def to_prompt_spec(raw: Any, source: str = "") -> PromptSpec:
    """A PromptSpec from a prompts.yml entry (a dict or a config model object)."""
    if isinstance(raw, PromptSpec):
        return raw
    task = _get(raw, "task")
    if not task:
        raise ConfigError("a prompt has no 'task'", file=source or None, key="prompts")
    task = getattr(task, "value", task)
    content, messages = _get(raw, "content"), _get(raw, "messages")
    if (content is None) == (messages is None):
        raise ConfigError(f"the prompt for task '{task}' needs exactly one of 'content' or "
                          "'messages'", file=source or None, key="prompts")
    if messages is not None:
        items = []
        for item in messages:
            if isinstance(item, str):
                items.append(item)
            else:
                items.append((str(_get(item, "type")), str(_get(item, "content") or "")))
        messages = tuple(items)
    stop = _get(raw, "stop")
    return PromptSpec(
        task=str(task), content=content, messages=messages,
        models=tuple(_get(raw, "models") or ()),
        output_parser=_get(raw, "output_parser"),
        max_length=int(_get(raw, "max_length") or DEFAULT_MAX_LENGTH),
        mode=_get(raw, "mode") or "standard",
        stop=tuple(stop) if stop else None,
        max_tokens=_get(raw, "max_tokens"),
        source=source)


def _load_file(path: Path) -> list[PromptSpec]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"invalid YAML: {error}", file=str(path)) from error
    return [to_prompt_spec(item, str(path)) for item in data.get("prompts") or []]


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml"))


@lru_cache(maxsize=4)
def _builtin_prompts(extra_dir: Optional[str]) -> tuple[PromptSpec, ...]:
    prompts: list[PromptSpec] = []
    for path in _yaml_files(PROMPTS_DIR):
        prompts.extend(_load_file(path))
    if extra_dir and os.path.isdir(extra_dir):
        for path in _yaml_files(Path(extra_dir)):
            prompts.extend(_load_file(path))
    return tuple(prompts)


def builtin_prompts() -> tuple[PromptSpec, ...]:
    """Our prompts, plus those in the folder named by the PROMPTS_DIR environment variable."""
    return _builtin_prompts(os.environ.get("PROMPTS_DIR"))


def task_model_string(models: Optional[Sequence[Any]], task: str) -> str:
    """`engine/model` of the model that serves `task`: one whose type is the task, else the
    main model; "unknown" without models."""
    if not models:
        return "unknown"
    chosen = [m for m in models if _get(m, "type") == task] or \
        [m for m in models if _get(m, "type") == "main"]
    if not chosen:
        return "unknown"
    engine, model = _get(chosen[0], "engine") or "", _get(chosen[0], "model")
    return f"{engine}/{model}" if model else str(engine)


def _model_score(prompt_models: Iterable[str], model: str) -> float:
    if not prompt_models:
        return 0.2
    score = 0.0
    for entry in prompt_models:
        if entry == model:
            return 1.0
        if model.startswith(entry + "/"):
            return 0.5
        if model.endswith("/" + entry):
            return 0.8
        if entry in model:
            score = 0.4  # a weaker match; a later entry may still match better
    return score


def select_prompt(task: str, model: str, mode: str,
                  candidates: Iterable[PromptSpec]) -> Optional[PromptSpec]:
    """The last candidate with the highest score (ties go to later prompts, so a config's
    prompts override built-ins). Prompts of another mode than the configured one count half
    when they are `standard` and are skipped otherwise."""
    best, best_score = None, 0.0
    for prompt in candidates:
        if prompt.task != task:
            continue
        score = _model_score(prompt.models, model)
        if prompt.mode != mode:
            if prompt.mode != "standard":
                continue
            score *= 0.5
        if score >= best_score:
            best, best_score = prompt, score
    return best
