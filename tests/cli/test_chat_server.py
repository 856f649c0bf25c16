"""`dialog-rails chat --server-url`: the chat loop answered by a real `dialog-rails serve`
process on loopback (offline example configs), plus NeMo's `--verbose-no-llm` and
`--debug-level` flags."""
from __future__ import annotations

import re
import shutil

import httpx
import pytest

from tests.cli.test_chat import ASK_NUMBER, GREETING, SHIPPED
from tests.folders import write_files
from tests.server.conftest import FAILING_CONFIG, ROOT
from tests.server_processes import ServerProcess, free_port

TOKEN = "s3cret-token-for-tests"
CONFIRM = "Okay, deleting 'important_data.txt' for user123... (Not really!)"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("configs")
    for name in ("store_support", "confirmation_bot", "append_note"):
        shutil.copytree(ROOT / "config_examples" / name, root / name)
    shutil.copytree(ROOT / "config_examples" / "append_note", root / "quick_note")
    yml = root / "quick_note" / "config.yml"
    yml.write_text(yml.read_text().replace("question_timeout: 300", "question_timeout: 1"))
    threads_db = tmp_path_factory.mktemp("threads") / "threads.sqlite3"
    process = ServerProcess(["--config-dir", str(root), "--default-config", "store_support",
                             "--threads-db", str(threads_db), "--token", TOKEN]).start()
    yield process
    process.stop()


def _remote(server, *args: str) -> list[str]:
    return ["chat", "--server-url", server.base_url, "--token", TOKEN, *args]


def test_one_message_through_the_server(run_cli, server):
    result = run_cli(*_remote(server, "--config-id", "store_support", "--message", "hello"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == GREETING + "\n"
    assert result.stderr == ""


def test_piped_turns_share_the_server_thread(run_cli, server):
    # The second answer needs the first question: the server kept it on the CLI's thread.
    result = run_cli(*_remote(server, "--verbose"), stdin="where is my order?\nit's JP-1001\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [ASK_NUMBER, SHIPPED]
    # Each turn sent only its new message: the thread holds the conversation once.
    thread_id = re.search(r"thread (\S+)\)", result.stderr).group(1)
    assert len(thread_id) >= 16
    thread = httpx.get(f"{server.base_url}/v1/threads/{thread_id}",
                       headers={"authorization": f"Bearer {TOKEN}"}).json()
    assert [(m["role"], m["content"]) for m in thread["messages"]] == [
        ("user", "where is my order?"), ("assistant", ASK_NUMBER),
        ("user", "it's JP-1001"), ("assistant", SHIPPED)]
    assert result.stderr.count("-- turn took") == 2


def test_buttons_from_the_server_are_clicked_by_number(pty_session, server):
    session = pty_session(*_remote(server, "--config-id", "confirmation_bot"))
    session.read_until("> ")
    session.send("delete my data\n")
    shown = session.read_until("> ")
    assert "Are you sure you want to delete your data?" in shown
    assert "[1] Confirm Deletion   [2] Cancel" in shown
    session.send("1\n")
    assert CONFIRM in session.read_until("> ")
    session.send("\x04")
    assert session.wait() == 0


def test_a_question_from_the_server_is_answered_inline(pty_session, server):
    session = pty_session(*_remote(server, "--config-id", "append_note"))
    session.read_until("> ")
    session.send("append a note\n")
    shown = session.read_until("Enter a message to append.")
    assert "[1] Append note" in shown and "? Write a message" in shown  # toolbar, question
    session.read_until("? ")  # the answer prompt
    session.send("buy milk\n")
    assert "Noted: buy milk" in session.read_until("> ")
    session.send("\x04")
    assert session.wait() == 0


def test_an_unanswered_question_times_out_on_the_server(pty_session, server):
    session = pty_session(*_remote(server, "--config-id", "quick_note"))
    session.read_until("> ")
    session.send("append a note\n")
    session.read_until("answer within 1 s")
    shown = session.read_until("> ", timeout=15)
    assert "(no answer in time)" in shown and "No note was added." in shown
    session.send("\x04")
    assert session.wait() == 0


def test_the_token_comes_from_the_environment(run_cli, server, monkeypatch):
    monkeypatch.setenv("DIALOG_RAILS_SERVER_TOKEN", TOKEN)
    result = run_cli("chat", "--server-url", server.base_url, "--message", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == GREETING + "\n"


def test_a_refused_token_is_one_line_and_a_failure(run_cli, server):
    result = run_cli("chat", "--server-url", server.base_url, "--token", "wrong",
                     "--message", "hello")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "answered 401" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_config_id_names_the_server_error(run_cli, server):
    result = run_cli(*_remote(server, "--config-id", "nope", "--message", "hello"))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert "answered 404" in result.stderr and "nope" in result.stderr


def test_a_server_that_is_down(run_cli):
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli("chat", "--server-url", url, "--message", "hello")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert f"cannot reach {url}/v1/chat/completions" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_or_server_url_is_required(run_cli):
    result = run_cli("chat", "--message", "hello")
    assert result.returncode == 2
    assert "--config PATH" in result.stderr and "--server-url URL" in result.stderr


def test_verbose_no_llm_reports_calls_without_prompts(run_cli, model_config):
    result = run_cli("chat", "--config", str(model_config), "--verbose-no-llm",
                     "--show-prompts", "--message", "hi")
    assert result.returncode == 0, result.stderr
    assert "-- LLM calls (1)" in result.stderr and "-- rails (" in result.stderr
    assert "prompt:" not in result.stderr and "completion:" not in result.stderr


def test_debug_level_sets_how_much_of_the_log_shows(run_cli, tmp_path):
    config = write_files(tmp_path / "failing", FAILING_CONFIG)
    debug = run_cli("chat", "--config", str(config), "--debug-level", "debug",
                    "--message", "hello there")
    assert "-- events (" in debug.stderr  # the verbose report comes with it, as in NeMo
    assert "DEBUG rails.actions: action 'check_stock' failed" in debug.stderr
    assert "inventory database unreachable" in debug.stderr
    warning = run_cli("chat", "--config", str(config), "--debug-level", "WARNING",
                      "--message", "hello there")
    assert "-- events (" in warning.stderr
    assert "ERROR rails.runtime: action 'check_stock' failed" in warning.stderr
    assert "DEBUG rails" not in warning.stderr and "INFO rails" not in warning.stderr
    verbose = run_cli("chat", "--config", str(config), "--verbose", "--message", "hello there")
    assert "-- events (" in verbose.stderr and "DEBUG rails" not in verbose.stderr
    wrong = run_cli("chat", "--config", str(config), "--debug-level", "LOUD", "--message", "x")
    assert wrong.returncode == 2 and "WARNING" in wrong.stderr
