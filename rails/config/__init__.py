"""Configuration loading: `RailsConfig` and its sections (spec §5)."""
from __future__ import annotations

from rails.config.models import (ActionRails, ActionsServerConfig, AutoAlignOptions,
                                 AutoAlignRailConfig, CoreConfig, DialogRails, Document,
                                 EmbeddingsCacheConfig, EmbeddingSearchProvider, ErrorsConfig,
                                 FactCheckingRailConfig, InputRails, Instruction,
                                 JailbreakDetectionConfig, KnowledgeBaseConfig, LogAdapterConfig,
                                 MessageTemplate, Model, OutputRails, OutputRailsStreamingConfig,
                                 Rails, RailsConfigData, RetrievalRails, SensitiveDataDetection,
                                 SensitiveDataDetectionOptions, SingleCallConfig, TaskPrompt,
                                 TracingConfig, UserMessagesConfig)
from rails.config.rails_config import RailsConfig
from rails.config.validation import rail_flow_id, validate_rail_flows

__all__ = [
    "ActionRails", "ActionsServerConfig", "AutoAlignOptions", "AutoAlignRailConfig",
    "CoreConfig", "DialogRails", "Document", "EmbeddingSearchProvider", "EmbeddingsCacheConfig",
    "ErrorsConfig", "FactCheckingRailConfig", "InputRails", "Instruction",
    "JailbreakDetectionConfig", "KnowledgeBaseConfig", "LogAdapterConfig", "MessageTemplate",
    "Model", "OutputRails", "OutputRailsStreamingConfig", "Rails", "RailsConfig", "RailsConfigData", "RetrievalRails",
    "SensitiveDataDetection", "SensitiveDataDetectionOptions", "SingleCallConfig",
    "TaskPrompt", "TracingConfig", "UserMessagesConfig", "rail_flow_id", "validate_rail_flows",
]
