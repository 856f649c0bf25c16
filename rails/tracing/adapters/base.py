"""The interface of a tracing adapter (NeMo's `InteractionLogAdapter`): it receives each traced
turn as an `InteractionLog` (`rails.tracing.spans`) and sends it somewhere."""
from __future__ import annotations

from typing import Any


class InteractionLogAdapter:
    name: str = ""

    def transform(self, interaction_log: Any) -> None:
        raise NotImplementedError

    async def transform_async(self, interaction_log: Any) -> None:
        self.transform(interaction_log)

    def close(self) -> None:
        """Release what the adapter holds (files, clients)."""
