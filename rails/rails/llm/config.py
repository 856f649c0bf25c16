"""Compatibility path: `nemoguardrails.rails.llm.config` -> `rails.rails.llm.config`."""
from rails.config import *  # noqa: F401,F403
from rails.config import RailsConfig  # noqa: F401
