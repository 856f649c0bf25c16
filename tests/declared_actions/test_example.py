"""config_examples/declared_actions runs as its README says, against a fake endpoint."""
from __future__ import annotations

import subprocess
import sys

import pytest

from rails import LLMRails, RailsConfig

EXAMPLE = "config_examples/declared_actions"


@pytest.fixture
def example_rails(repo_root, chat_endpoint, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", chat_endpoint.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "not-needed")
    return LLMRails(RailsConfig.from_path(str(repo_root / EXAMPLE)))


def test_a_ticket_is_classified_as_json(example_rails, chat_endpoint):
    chat_endpoint.replies = ['```json\n{"category": "billing", "priority": "high"}\n```']
    answer = example_rails.generate(messages=[
        {"role": "user", "content": "ticket: I was charged twice this month"}])
    assert answer["content"] == "Filed as billing with high priority."
    [request] = chat_endpoint.requests
    assert request["temperature"] == 0 and request["max_tokens"] == 200
    assert request["messages"][0]["content"].endswith(
        "Ticket:\nticket: I was charged twice this month\n")


def test_a_document_is_summarized(example_rails, chat_endpoint):
    chat_endpoint.replies = ["- sales rose\n- costs fell\n- profit doubled"]
    answer = example_rails.generate(messages=[
        {"role": "user", "content": "please summarize the following text: sales rose..."}])
    assert answer["content"] == ("Here is the summary: - sales rose\n- costs fell\n"
                                 "- profit doubled")


def test_check_lists_the_declared_actions(repo_root):
    result = subprocess.run([sys.executable, "-m", "rails", "check", EXAMPLE],
                            cwd=repo_root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "declared actions: 2: summarize_document, classify_ticket" in result.stdout
    assert "warning" not in result.stdout


def test_check_reports_a_bad_declaration(write_config):
    folder = write_config({"config.yml": """
        declared_actions:
          - action_name: summarize
            kind: llm
            template: "{{text}}"
            temperature: 3
        """})
    result = subprocess.run([sys.executable, "-m", "rails", "check", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "declared_actions[0].temperature" in result.stdout
