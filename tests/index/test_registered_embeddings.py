"""`register_embedding_provider`: a user's own embedding model serves `embedding_engine`."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.embeddings.providers.base import EmbeddingModel

CO = """
define user ask weather
  "what is the weather like"

define user ask time
  "what time is it"

define bot answer weather
  "Sunny."

define bot answer time
  "Noon."

define flow
  user ask weather
  bot answer weather

define flow
  user ask time
  bot answer time
"""


def yaml(engine: str) -> str:
    return f"""
models:
  - type: embeddings
    engine: {engine}
    model: topic-axes
rails:
  dialog:
    user_messages:
      embeddings_only: true
"""


class TopicAxes(EmbeddingModel):
    """Two axes: weather words and time words (so the test knows the right answer)."""
    engine_name = "topic_axes"
    texts: list = []

    def __init__(self, embedding_model: str, **parameters):
        self.model = embedding_model

    def encode(self, documents):
        TopicAxes.texts.extend(documents)
        return [[sum(w in d for w in ("weather", "rain", "sunny", "umbrella")) + 0.01,
                 sum(w in d for w in ("time", "clock", "hour", "late")) + 0.01]
                for d in documents]

    async def encode_async(self, documents):
        return self.encode(documents)


class AsyncOnly:
    engine_name = "async_axes"

    def __init__(self, embedding_model: str):
        pass

    async def encode_async(self, documents):
        return [[1.0 if "rain" in d or "weather" in d else 0.0,
                 1.0 if "clock" in d or "time" in d else 0.0] for d in documents]


def ask(app: LLMRails, text: str) -> str:
    return app.generate(messages=[{"role": "user", "content": text}])["content"]


def test_a_registered_model_matches_intents_its_way():
    app = LLMRails(RailsConfig.from_content(colang_content=CO, yaml_content=yaml("topic_axes")))
    app.register_embedding_provider(TopicAxes)
    assert ask(app, "do I need an umbrella, will it rain") == "Sunny."
    assert ask(app, "is it late, check the clock") == "Noon."
    assert "do I need an umbrella, will it rain" in TopicAxes.texts


def test_an_async_only_model_under_a_given_name():
    app = LLMRails(RailsConfig.from_content(colang_content=CO, yaml_content=yaml("mine")))
    app.register_embedding_provider(AsyncOnly, "mine")
    assert ask(app, "rain again?") == "Sunny."


def test_a_class_without_encode_or_name_is_refused():
    app = LLMRails(RailsConfig.from_content(colang_content=CO))

    class Nameless:
        def encode(self, documents):
            return []

    with pytest.raises(ValueError, match="engine name"):
        app.register_embedding_provider(Nameless)

    class Mute:
        engine_name = "mute"

    with pytest.raises(ValueError, match="'encode' or 'encode_async'"):
        app.register_embedding_provider(Mute)
