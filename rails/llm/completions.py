"""Reading structured answers out of completions: the next bot intent, the three parts of a
single-call answer, and generated flow steps (spec §3.13, §6.6)."""
from __future__ import annotations

import logging
import uuid

from rails.events import new_event_dict
from rails.llm.text import (first_nonempty_line, multiline_response, strip_quotes,
                            top_nonempty_lines)

log = logging.getLogger("rails.llm")

UNKNOWN_INTENT = "unknown message"
EMPTY_MESSAGE = "I'm not sure what to say."
GENERAL_RESPONSE = "general response"


def bot_intent_from_line(output: str) -> str:
    """The bot intent on the first non-empty line (`bot <intent>`), cut before a quote or a
    comma the model may have added; `general response` when the line is something else."""
    line = first_nonempty_line(output)
    if not line or not line.startswith("bot "):
        return GENERAL_RESPONSE
    intent = line[4:]
    if '"' in intent:
        intent = intent.split('"')[0].strip()
    if "," in intent:
        intent = intent.split(",")[0].strip()
    return intent


def parse_intent_steps_message(output: str) -> tuple[str, str, str]:
    """(user intent, bot intent, bot message) from a single-call completion."""
    lines = top_nonempty_lines(output, 2)
    user_intent = lines[0] if lines else None
    bot_intent = lines[1] if len(lines) > 1 else None
    message = None
    if bot_intent:
        position = output.find(bot_intent)
        if position != -1:
            message = strip_quotes(multiline_response(output[position + len(bot_intent):]))
            if not message.strip():
                message = None
    if user_intent:
        for prefix in ("user ", "User intent: "):
            if user_intent.startswith(prefix):
                user_intent = user_intent[len(prefix):]
                break
    else:
        user_intent = UNKNOWN_INTENT
    if bot_intent and bot_intent.startswith("bot "):
        bot_intent = bot_intent[4:]
    elif bot_intent and bot_intent.startswith("Bot intent: "):
        bot_intent = bot_intent[12:]
    else:
        bot_intent = GENERAL_RESPONSE
    return user_intent, bot_intent, message or EMPTY_MESSAGE


def multi_step_event(output: str) -> dict:
    """The completion as the body of a new flow, shortened from the end until it parses."""
    from rails.lang import parse

    lines = output.split("\n")
    while lines and "\n".join(lines).strip():
        body = "\n".join(lines)
        wrapped = "define flow dynamic_steps\n" + "\n".join("  " + line for line in lines)
        try:
            document = parse(wrapped, "dynamic.co")
            if document.flows:
                return new_event_dict("start_flow", flow_id=str(uuid.uuid4()), flow_body=body)
        except Exception as error:  # any parse failure: try a shorter body
            log.info("generated steps do not parse (%s); dropping the last line", error)
        lines = lines[:-1]
    return new_event_dict("BotIntent", intent=GENERAL_RESPONSE)
