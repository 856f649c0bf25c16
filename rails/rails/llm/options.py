"""Compatibility path: `nemoguardrails.rails.llm.options` -> `rails.rails.llm.options`."""
from rails.options import *  # noqa: F401,F403
from rails.options import (ActivatedRail, ExecutedAction, GenerationLog, GenerationLogOptions,
                           GenerationOptions, GenerationRailsOptions, GenerationResponse,
                           GenerationStats, RailsResult, RailStatus, RailType)

__all__ = ["ActivatedRail", "ExecutedAction", "GenerationLog", "GenerationLogOptions",
           "GenerationOptions", "GenerationRailsOptions", "GenerationResponse", "GenerationStats",
           "RailStatus", "RailType", "RailsResult"]
