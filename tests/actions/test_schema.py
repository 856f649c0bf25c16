"""The description of actions served by `GET /v1/actions/list`."""
from __future__ import annotations

from typing import List, Optional

from rails.actions import ActionDispatcher, action
from rails.actions.schema import describe_action


def described(fn, name=None) -> dict:
    dispatcher = ActionDispatcher(load_all_actions=False)
    dispatcher.register_action(fn, name=name)
    name = name or fn.action_meta["name"]
    return describe_action(name, dispatcher.get(name), dispatcher.meta(name),
                           dispatcher.spec(name))


def test_types_defaults_and_required_parameters():
    @action()
    async def search(query: str, limit: int = 5, ratio: Optional[float] = None,
                     tags: List[str] = None, options: "dict | None" = None, raw=None,
                     flag: bool = False, *, strict: "Optional[bool]" = True, **extra):
        """Search the catalogue.

        More text that is not part of the description."""

    schema = described(search)
    assert schema["description"] == "Search the catalogue."
    assert schema["parameters"] == {
        "type": "object", "required": ["query"], "additionalProperties": True,
        "properties": {
            "query": {"type": "string"}, "limit": {"type": "integer", "default": 5},
            "ratio": {"type": "number", "default": None}, "tags": {"type": "array",
                                                                   "default": None},
            "options": {"type": "object", "default": None}, "raw": {"default": None},
            "flag": {"type": "boolean", "default": False},
            "strict": {"type": "boolean", "default": True}}}


def test_special_parameters_are_left_out_and_classes_use_run():
    @action(description="Given description wins.")
    def check(text, context=None, events=None, llm=None, check_llm=None, config=None,
              llm_task_manager=None, state=None, kb=None, llms=None, __context__user=None):
        """Docstring."""

    @action()
    class Lookup:
        def run(self, sku: str, context=None):
            """Look a product up."""

    assert described(check)["description"] == "Given description wins."
    assert described(check)["parameters"]["properties"] == {"text": {}}
    lookup = described(Lookup)
    assert lookup["description"] == "Look a product up."
    assert lookup["parameters"]["properties"] == {"sku": {"type": "string"}}
    assert lookup["is_system_action"] is False
