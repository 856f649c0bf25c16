"""Event dicts as the engine creates them (spec §3.1)."""
from __future__ import annotations

import itertools
import os
import time
import uuid
from datetime import datetime, timezone
from typing import Any

SOURCE_UID = "NeMoGuardrails"  # kept for compatibility: tools filter on it

# Event uids are UUID-shaped: 80 random bits per process, then a counter. Unique like uuid4
# for all practical purposes, at a third of the cost (a turn creates dozens of events).
_prefix = ""
_counter = itertools.count()


def _new_prefix() -> None:
    global _prefix, _counter
    bits = uuid.uuid4().hex
    _prefix = f"{bits[:8]}-{bits[8:12]}-4{bits[13:16]}-{bits[16:20]}-{bits[20:24]}"
    _counter = itertools.count()


_new_prefix()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_prefix)


def new_uid() -> str:
    return f"{_prefix}{next(_counter) & 0xFFFFFFFF:08x}"


_second = -1
_second_text = ""


def _now() -> str:
    """ISO-8601 UTC time with microseconds; the date part is formatted once per second."""
    global _second, _second_text
    now = time.time()
    second = int(now)
    if second != _second:
        _second = second
        _second_text = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_second_text}.{int((now - second) * 1_000_000):06d}+00:00"


def new_event_dict(event_type: str, **fields: Any) -> dict[str, Any]:
    """A new event with `uid`, timestamp and source, plus the action bookkeeping of §3.1."""
    event: dict[str, Any] = {"type": event_type, "uid": new_uid(), "event_created_at": _now(),
                             "source_uid": SOURCE_UID, **fields}
    if "Action" in event_type:
        if event_type.startswith("Start") and "action_uid" not in event:
            event["action_uid"] = new_uid()
        if event_type.endswith("Finished"):
            event.setdefault("action_finished_at", _now())
        if "Utterance" in event_type:
            event.setdefault("action_info_modality",
                             "bot_speech" if "Bot" in event_type else "user_speech")
            event.setdefault("action_info_modality_policy", "replace")
        _validate(event)
    return event


def _validate(event: dict[str, Any]) -> None:
    kind = event["type"]
    if kind.endswith("ActionFinished"):
        if not isinstance(event.get("is_success"), bool):
            raise ValueError(f"{kind} events need a boolean 'is_success'")
        if not event["is_success"] and "failure_reason" not in event:
            raise ValueError(f"unsuccessful {kind} events need a 'failure_reason'")
    if kind == "StartUtteranceBotAction" and not isinstance(event.get("script"), str):
        raise ValueError("StartUtteranceBotAction events need a string 'script'")
    if kind == "UtteranceUserActionFinished" and not isinstance(event.get("final_transcript"), str):
        raise ValueError("UtteranceUserActionFinished events need a string 'final_transcript'")
