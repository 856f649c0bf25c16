"""NeMo Guardrails' `nemoguardrails.exceptions` path: the same classes as `rails.errors`."""
from rails.errors import *  # noqa: F401,F403
from rails.errors import (ConfigError, LLMCallError, LLMCallException,  # noqa: F401
                          RailTypeNotConfiguredError)

# NeMo's name for an invalid configuration.
InvalidRailsConfigurationError = ConfigError
