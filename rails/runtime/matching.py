"""Which flow elements match which events, and which elements are proposals (spec §3.6)."""
from __future__ import annotations

WILDCARD = "..."

# Event types with a dedicated rule: the element kind they match and the field compared.
_SPECIAL = {
    "UserIntent": ("intent",),
    "BotIntent": ("intent",),
    "InternalSystemActionFinished": ("action_name",),
    "UtteranceUserActionFinished": ("final_transcript",),
    "StartUtteranceBotAction": ("script",),
}


def is_actionable(element: dict) -> bool:
    """A `run_action` other than `bot ...`: both a proposal (it can become the next step) and a
    pattern (it matches its own outcome)."""
    if element["_type"] != "run_action":
        return False
    return not (element["action_name"] == "utter"
                and element["action_params"]["value"] == WILDCARD)


def is_match(element: dict, event: dict) -> bool:
    kind = element["_type"]
    event_type = event["type"]
    if event_type == "UserIntent":
        return kind == "UserIntent" and element["intent_name"] in (WILDCARD, event["intent"])
    if event_type == "BotIntent":
        return (kind == "run_action" and element["action_name"] == "utter"
                and element["action_params"]["value"] in (WILDCARD, event["intent"]))
    if event_type == "InternalSystemActionFinished":
        return (event.get("status") == "success" and kind == "run_action"
                and element["action_name"] == event["action_name"])
    if event_type == "UtteranceUserActionFinished":
        return (kind == event_type
                and element.get("final_transcript") in (WILDCARD, event["final_transcript"]))
    if event_type == "StartUtteranceBotAction":
        return kind == event_type and element.get("script") in (WILDCARD, event["script"])
    if kind != event_type:
        return False
    for key, value in element.items():
        if key[0] != "_" and value != WILDCARD and event.get(key) != value:
            return False
    return True


def start_keys(element: dict) -> tuple:
    """Index keys under which a flow whose first element is `element` can be found."""
    kind = element["_type"]
    if kind == "UserIntent":
        return (("UserIntent", element["intent_name"]),)
    if kind == "run_action":
        if element["action_name"] == "utter":
            return (("BotIntent", element["action_params"]["value"]),)
        return (("InternalSystemActionFinished", element["action_name"]),)
    if kind == "UtteranceUserActionFinished":
        return ((kind, element.get("final_transcript")),)
    if kind == "StartUtteranceBotAction":
        return ((kind, element.get("script")),)
    return ((kind,),)


def event_keys(event: dict) -> tuple:
    """Index keys an event may match (the inverse of `start_keys`)."""
    event_type = event["type"]
    fields = _SPECIAL.get(event_type)
    if fields is None:
        return ((event_type,),)
    if event_type == "InternalSystemActionFinished" and event.get("status") != "success":
        return ()
    value = event.get(fields[0])
    return ((event_type, WILDCARD), (event_type, value))
