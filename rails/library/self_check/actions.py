"""Actions of the self-check rails. Each renders its task prompt, asks the model (the main
one, or the `<action>_llm` model when configured) and turns the answer into a verdict."""
from __future__ import annotations

import logging
from typing import Any, Optional

from rails.actions import ActionResult, action
from rails.errors import ActionError
from rails.events import new_event_dict
from rails.llm.call import llm_call
from rails.llm.output_parsers import has_safety_verdict
from rails.llm.text import multiline_response, strip_quotes
from rails.llm.types import Task

log = logging.getLogger("rails.library.self_check")

CHECK_MAX_TOKENS = 3  # a verdict is a word or two
HALLUCINATION_SAMPLES = 2


def _temperature(config: Any) -> float:
    value = getattr(config, "lowest_temperature", None)
    return 0.001 if value is None else value


def _need_llm(llm: Any, action_name: str) -> None:
    if llm is None:
        raise ActionError(f"{action_name} needs an LLM: configure a main model in config.yml "
                          f"(models: - type: main) or a model of type {action_name}",
                          action_name=action_name)


async def _ask(llm_task_manager: Any, task: Any, variables: dict, llm: Any,
               config: Any) -> str:
    prompt = llm_task_manager.render_task_prompt(task, context=variables)
    max_tokens = llm_task_manager.get_max_tokens(task) or CHECK_MAX_TOKENS
    return await llm_call(llm, prompt, task=getattr(task, "value", task),
                          stop=llm_task_manager.get_stop_tokens(task),
                          temperature=_temperature(config), max_tokens=max_tokens)


def _is_safe(llm_task_manager: Any, task: Any, answer: str) -> bool:
    """The verdict through the prompt's output parser, or `is_content_safe` without one."""
    if llm_task_manager.has_output_parser(task):
        verdict = llm_task_manager.parse_task_output(task, output=answer)
    else:
        verdict = llm_task_manager.output_parsers["is_content_safe"](answer)
        if not has_safety_verdict(answer):
            log.warning("%s: the model answered %r, which says neither yes/no nor "
                        "safe/unsafe; counted as a block (an unclear answer never lets "
                        "content through). Check the model and the task's prompt.",
                        getattr(task, "value", task), answer[:200])
    if isinstance(verdict, (tuple, list)):
        verdict = verdict[0] if verdict else False
    if isinstance(verdict, str):
        verdict = llm_task_manager.output_parsers["is_content_safe"](verdict)[0]
    return bool(verdict)


@action(is_system_action=True)
async def self_check_input(llm_task_manager: Any, context: Optional[dict] = None,
                           llm: Any = None, config: Any = None) -> Any:
    """True when the model lets the user's message through; False (and the message masked
    in later prompts) when it is blocked; None without a user message."""
    user_input = (context or {}).get("user_message")
    if not user_input:
        return None
    _need_llm(llm, "self_check_input")
    task = Task.SELF_CHECK_INPUT
    answer = await _ask(llm_task_manager, task, {"user_input": user_input}, llm, config)
    log.info("self check input answered %r", answer)
    if _is_safe(llm_task_manager, task, answer):
        return True
    return ActionResult(return_value=False, events=[
        new_event_dict("mask_prev_user_message", intent="unanswerable message")])


@action(is_system_action=True)
async def self_check_output(llm_task_manager: Any, context: Optional[dict] = None,
                            llm: Any = None, config: Any = None) -> Any:
    """True when the model lets the bot's message through; None without a bot message."""
    context = context or {}
    bot_response = context.get("bot_message")
    if not bot_response:
        return None
    _need_llm(llm, "self_check_output")
    task = Task.SELF_CHECK_OUTPUT
    answer = await _ask(llm_task_manager, task, {"user_input": context.get("user_message"),
                                                 "bot_response": bot_response}, llm, config)
    log.info("self check output answered %r", answer)
    return _is_safe(llm_task_manager, task, answer)


@action()
async def self_check_facts(llm_task_manager: Any, context: Optional[dict] = None,
                           llm: Any = None, config: Any = None) -> float:
    """1.0 when the model finds the bot's message supported by `$relevant_chunks`, else 0.0;
    1.0 when there is no evidence to check against."""
    context = context or {}
    evidence = context.get("relevant_chunks")
    if not evidence or not str(evidence).strip():
        return 1.0
    _need_llm(llm, "self_check_facts")
    # Configs written for NeMo 0.10 may name the task `fact_checking`.
    task: Any = Task.SELF_CHECK_FACTS
    if (not llm_task_manager.has_config_prompt(Task.SELF_CHECK_FACTS)
            and llm_task_manager.has_config_prompt(Task.FACT_CHECKING)):
        task = Task.FACT_CHECKING
    answer = await _ask(llm_task_manager, task, {"evidence": evidence,
                                                 "response": context.get("bot_message")},
                        llm, config)
    # The question is "is it supported?": a "yes" (which the safety parser reads as "block")
    # means accurate.
    return 0.0 if _is_safe(llm_task_manager, task, answer) else 1.0


@action()
async def self_check_hallucination(llm: Any, llm_task_manager: Any,
                                   context: Optional[dict] = None,
                                   use_llm_checking: bool = True, config: Any = None) -> bool:
    """True when fresh samples of the prompt that produced the bot's message disagree with
    it (a sign the model made it up)."""
    context = context or {}
    bot_response = context.get("bot_message")
    last_prompt = context.get("_last_bot_prompt")
    if not bot_response or not last_prompt:
        return False
    _need_llm(llm, "self_check_hallucination")
    import asyncio  # here: loading the library at start-up needs no event loop machinery

    samples = await asyncio.gather(*(
        llm_call(llm, last_prompt, task="self_check_hallucination_sample", temperature=1.0)
        for _ in range(HALLUCINATION_SAMPLES)))
    samples = [strip_quotes(multiline_response(sample)) for sample in samples]
    samples = [sample for sample in samples if sample]
    if not samples:
        log.warning("no extra samples for the hallucination check of %r", bot_response)
        return False
    if not use_llm_checking:
        return False
    task = Task.SELF_CHECK_HALLUCINATION
    prompt = llm_task_manager.render_task_prompt(
        task, context={"statement": bot_response, "paragraph": ". ".join(samples)})
    agreement = await llm_call(llm, prompt, task=task.value,
                               stop=llm_task_manager.get_stop_tokens(task),
                               temperature=_temperature(config))
    return "no" in agreement.lower().strip()
