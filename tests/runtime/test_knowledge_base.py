"""Retrieval from a config's kb/ folder, and search providers registered from config.py."""
from __future__ import annotations

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM

KB = """# Trail guide

## Opening times
The Cedar Ridge trail is open from 6am to 8pm between April and October.

## Dogs
Dogs are welcome on the Cedar Ridge trail if they stay on a leash.
"""


def test_relevant_chunks_reach_the_general_prompt(tmp_path):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "guide.md").write_text(KB)
    (tmp_path / "config.yml").write_text("models: []\n")
    llm = FakeLLM(responses=["Dogs on a leash are welcome."])
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=llm)
    reply = app.generate(messages=[{"role": "user", "content": "can I bring my dog?"}])
    assert reply["content"] == "Dogs on a leash are welcome."
    # General mode: the intent step answers directly, with the best chunks in its prompt.
    assert "stay on a leash" in llm.prompts[0]


def test_retrieval_in_dialog_mode_sets_relevant_chunks(tmp_path):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "guide.md").write_text(KB)
    (tmp_path / "flows.co").write_text(
        'define user ask about trail\n  "when is the trail open?"\n\n'
        'define flow\n  user ask about trail\n  bot answer about trail\n')
    llm = FakeLLM(responses=["  ask about trail", 'Bot message: "From 6am to 8pm."'])
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=llm)
    result = app.generate(messages=[{"role": "user", "content": "opening times of the trail?"}],
                          options={"output_vars": ["relevant_chunks"]})
    assert result.response[0]["content"] == "From 6am to 8pm."
    assert "6am to 8pm" in result.output_data["relevant_chunks"]
    assert "6am to 8pm" in llm.prompts[-1]


def test_search_provider_registered_in_config_py(tmp_path):
    (tmp_path / "config.yml").write_text(
        "core:\n  embedding_search_provider:\n    name: first-example\n")
    (tmp_path / "flows.co").write_text(
        'define user express greeting\n  "hello"\n\ndefine flow\n  user express greeting\n'
        '  bot express greeting\n\ndefine bot express greeting\n  "Hi!"\n')
    (tmp_path / "config.py").write_text('''
from rails.index import EmbeddingSearchProvider


class FirstExample(EmbeddingSearchProvider):
    """Returns the first items, whatever the query; counts searches."""

    searches = 0

    def __init__(self, **parameters):
        self.items = []

    async def add_items(self, items):
        self.items.extend(items)

    async def build(self):
        pass

    async def search(self, text, max_results=5, threshold=None):
        FirstExample.searches += 1
        return self.items[:max_results]


def init(app):
    app.register_embedding_search_provider("first-example", FirstExample)
''')
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=FakeLLM(responses=["  express greeting"]))
    assert app.generate(messages=[{"role": "user", "content": "yo"}])["content"] == "Hi!"
    import sys  # the provider class lives in the imported config module

    module = next(m for m in list(sys.modules.values())
                  if getattr(m, "FirstExample", None) is not None)
    assert module.FirstExample.searches >= 1
