"""`dialog-rails chat` as a user runs it: one-shot, piped, interactive on a terminal, errors.
The offline store-support example answers with predefined messages, so no model is needed."""
from __future__ import annotations

import signal
import time

GREETING = "Hi! Welcome to Juniper & Pine support. How can I help you today?"
RETURNS = ("You can return unused items within 60 days for a full refund. Start a return "
           "from your order page and we'll email you a free return label.")
ASK_NUMBER = "Sure! What's your order number? It looks like JP-1234."
SHIPPED = "Order JP-1001: shipped. It left our warehouse yesterday and should arrive in 2 days."


def test_one_shot_message_prints_only_the_answer(run_cli, store_support):
    result = run_cli("chat", "--config", str(store_support), "--message", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == GREETING + "\n"
    assert result.stderr == ""


def test_piped_stdin_is_one_turn_per_line_with_history(run_cli, store_support):
    result = run_cli("chat", "--config", str(store_support),
                     stdin="where is my order?\n\nit's JP-1001\ncan I return an item?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [ASK_NUMBER, SHIPPED, RETURNS]


def test_verbose_reports_events_rails_and_timing_on_stderr(run_cli, store_support):
    result = run_cli("chat", "--config", str(store_support), "--verbose",
                     "--message", "you are useless")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("Let's keep it friendly, please. I'm here to help with your "
                             "order or our products.\n")
    report = result.stderr
    assert "-- events" in report
    assert "StartInputRail flow_id='block abusive language'" in report
    assert "StartUtteranceBotAction" in report
    assert "input" in report and "block abusive language" in report
    assert "action contains_abusive_language -> True" in report
    assert "STOP" in report
    assert "-- LLM calls (0)" in report
    assert "-- turn took" in report and " ms" in report


def test_streaming_prints_the_same_answer(run_cli, store_support):
    result = run_cli("chat", "--config", str(store_support), "--streaming",
                     stdin="hi\nwhat is your return policy?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [GREETING, RETURNS]


def test_interactive_session_on_a_terminal(pty_session, store_support, tmp_path):
    session = pty_session("chat", "--config", str(store_support))
    session.read_until("> ")
    session.send("hi\n")
    assert GREETING in session.read_until("> ")
    session.send("where is my order?\n")
    assert ASK_NUMBER in session.read_until("> ")
    # Line editing: arrow-up twice recalls "hi", Ctrl-A jumps to the start of the line.
    session.send("\x1b[A\x1b[A\x01oh \n")
    session.read_until(GREETING)  # "oh hi" is a greeting too
    session.read_until("> ")
    session.send("\x04")  # Ctrl-D
    assert session.wait() == 0
    history = (tmp_path / ".dialog_rails_history").read_text()
    assert history.splitlines()[-3:] == ["hi", "where is my order?", "oh hi"]


def test_ctrl_c_at_the_prompt_exits_cleanly(pty_session, store_support):
    session = pty_session("chat", "--config", str(store_support))
    session.read_until("> ")
    # A person presses Ctrl-C well after the prompt appears; a signal landing in the instant
    # between readline drawing the prompt and waiting for keys is only seen at the next key.
    time.sleep(0.5)
    session.process.send_signal(signal.SIGINT)
    assert session.wait() == 0
    assert "Traceback" not in session.output


def test_missing_config_folder(run_cli, tmp_path):
    result = run_cli("chat", "--config", str(tmp_path / "nowhere"), "--message", "hi")
    assert result.returncode == 1
    assert "nowhere" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_colang_error_is_located_without_traceback(run_cli, tmp_path):
    config = tmp_path / "broken"
    config.mkdir()
    (config / "config.yml").write_text("instructions: []\n")
    (config / "flows.co").write_text("define flow greeting\n  user express greeting\n"
                                     "  bot express greeting\n  if\n")
    result = run_cli("chat", "--config", str(config), "--message", "hi")
    assert result.returncode == 1
    assert "flows.co:4" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_key_error_is_named_without_traceback(run_cli, tmp_path):
    config = tmp_path / "badkey"
    config.mkdir()
    (config / "config.yml").write_text("rails:\n  input:\n    flows: 12\n")
    result = run_cli("chat", "--config", str(config), "--message", "hi")
    assert result.returncode == 1
    assert "config.yml" in result.stderr and "flows" in result.stderr
    assert "Traceback" not in result.stderr


def test_verbose_with_prompts_shows_each_llm_call(run_cli, model_config, model_answer):
    result = run_cli("chat", "--config", str(model_config), "--verbose", "--show-prompts",
                     "--message", "when do the trails open?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == model_answer + "\n"
    report = result.stderr
    assert "-- LLM calls (1)" in report
    assert "   general  (" in report and "38 tokens" in report
    prompt = report.split("      prompt:\n", 1)[1].split("      completion:\n", 1)[0]
    assert "You answer questions of the hiking club." in prompt
    assert "when do the trails open?" in prompt
    assert "      completion:\n        " + model_answer in report


def test_verbose_without_prompts_hides_them(run_cli, model_config):
    result = run_cli("chat", "--config", str(model_config), "--verbose", "--message", "hi")
    assert result.returncode == 0, result.stderr
    assert "-- LLM calls (1)" in result.stderr
    assert "prompt:" not in result.stderr
