"""NeMo's module paths, under `rails.` and under `nemoguardrails.`, resolve through one table to
the real modules, and the helpers found there behave as NeMo's do."""
from __future__ import annotations

import subprocess
import sys

import pytest

from rails.nemo_paths import NEMO_PATHS


@pytest.mark.parametrize("path", sorted(NEMO_PATHS))
def test_every_path_of_the_table_imports_under_rails(path):
    import importlib

    module = importlib.import_module(f"rails.{path}")
    target = importlib.import_module(NEMO_PATHS[path])
    public = getattr(target, "__all__", None) or [n for n in vars(target) if not n.startswith("_")]
    for name in public[:5]:
        assert getattr(module, name) is getattr(target, name)


def test_nemo_import_lines_work_unchanged_in_a_fresh_process(tmp_path):
    # A fresh interpreter: the alias must come from rails.compat, not from this test session.
    script = """
from rails.compat import install_nemoguardrails_alias
assert install_nemoguardrails_alias()
from nemoguardrails import LLMRails, RailsConfig
from nemoguardrails.rails.llm.config import RailsConfig as Config2
from nemoguardrails.rails.llm.options import GenerationOptions
from nemoguardrails.actions import action
from nemoguardrails.actions.actions import ActionResult
from nemoguardrails.actions.llm.utils import get_last_user_utterance, llm_call
from nemoguardrails.kb.kb import KnowledgeBase
from nemoguardrails.embeddings.index import EmbeddingsIndex, IndexItem
from nemoguardrails.context import streaming_handler_var, llm_call_info_var
from nemoguardrails.streaming import StreamingHandler
import nemoguardrails.actions, rails.actions
assert nemoguardrails.actions is rails.actions
assert RailsConfig is Config2
import rails.llmrails
assert LLMRails is rails.llmrails.LLMRails
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_unknown_paths_still_fail_as_missing_modules():
    with pytest.raises(ModuleNotFoundError):
        __import__("rails.rails.llm.nothing_here")


def test_event_helpers_read_the_turn_like_nemo():
    from rails.actions.llm.utils import (get_first_bot_action, get_last_bot_intent_event,
                                         get_last_user_utterance,
                                         get_retrieved_relevant_chunks, strip_quotes)

    events = [
        {"type": "UserMessage", "text": "first"},
        {"type": "BotIntent", "intent": "greet"},
        {"type": "UserMessage", "text": [{"type": "text", "text": "look"},
                                         {"type": "image_url", "image_url": {}}]},
        {"type": "ContextUpdate", "data": {"relevant_chunks": " chunk \n"}},
    ]
    assert get_last_user_utterance(events) == "look"
    assert get_last_bot_intent_event(events)["intent"] == "greet"
    assert get_retrieved_relevant_chunks(events) == "chunk"
    assert get_retrieved_relevant_chunks(events[:3]) is None
    assert strip_quotes('"hi"') == "hi"
    assert get_first_bot_action(["bot action: bot say", "  and bot smile", "", "x"]) == \
        "bot say  and bot smile"


def test_validation_decorators():
    from rails.actions.validation import validate_input, validate_response

    @validate_input("query", validators=["length", "quote"], max_len=10)
    def search(query):
        return query

    assert search(query="a b") == "a%20b"
    with pytest.raises(ValueError, match="Attribute query is too long"):
        search(query="x" * 11)
    with pytest.raises(ValueError, match="Attribute query is empty"):
        search(query="")

    @validate_response(validators=["ip_filter", "is_default_resp"])
    def answer(text):
        return text

    assert answer("host 10.0.0.1 up") == "host  up"
    with pytest.raises(ValueError, match="Default Response"):
        answer("No good search result found")


async def test_standalone_retrieve_relevant_chunks_uses_the_given_knowledge_base():
    from rails.actions.retrieve_relevant_chunks import retrieve_relevant_chunks
    from rails.index import KnowledgeBase, create_search_provider

    kb = KnowledgeBase(["# Hours\nWe open at nine.", "# Returns\nReturns take 30 days."],
                       create_search_provider(None, {}))
    await kb.build()
    result = await retrieve_relevant_chunks(context={"last_user_message": "when do you open"},
                                            kb=kb)
    assert "nine" in result.return_value
    assert result.context_updates["retrieved_for"] == "when do you open"
    empty = await retrieve_relevant_chunks(context={"relevant_chunks": "old"}, kb=None)
    assert empty.return_value == "old\n"


def test_summarize_document_summarizes_the_pieces_then_the_whole(tmp_path):
    from rails.actions.summarize_document import SummarizeDocument
    from rails.llm import summarize
    from rails.testing import FakeLLM

    document = tmp_path / "doc.txt"
    document.write_text("\n\n".join(["alpha " * 700, "beta " * 700]), encoding="utf-8")
    llm = FakeLLM(responses=["about alpha", "about beta", "alpha then beta"])
    assert len(summarize._pieces(document.read_text())) == 2
    assert SummarizeDocument(document_path=str(document), llm=llm).run() == "alpha then beta"
    assert SummarizeDocument(document_path=str(tmp_path / "missing.txt"), llm=llm).run() is None
