"""Seed 000's Action Function. The class and its `action` method are the seed's; only the
`@action(name=...)` line is added, to register it under a name flows and the toolbar use."""
from typing import Optional

from rails.actions import action


@action(name="append_note")
class Action:
    async def action(
        self,
        body: dict,
        __user__=None,
        __event_emitter__=None,
        __event_call__=None,
    ) -> Optional[dict]:
        print(f"action:{__name__}")

        response = await __event_call__(
            {
                "type": "input",
                "data": {
                    "title": "Write a message",
                    "message": "Enter a message to append.",
                    "placeholder": "Enter your message",
                },
            }
        )

        print(response)

        # Example: return structured output for downstream handling or UI rendering
        return {
            "type": "result",
            "data": {
                "user_input": response,
            },
        }
