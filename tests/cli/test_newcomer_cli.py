"""The command line as a new user meets it: a failed turn exits non-zero with its cause once on
stderr and no traceback, `--config` takes a file, `| head` does not break, `--version`,
`check` says what is missing, hints for common Colang and YAML slips, NeMo's `server`."""
from __future__ import annotations

import subprocess
import sys

import httpx

from tests.server.conftest import FAILING_CONFIG

# An offline config whose only action fails (the server tests' config).
FAILING = FAILING_CONFIG


def test_a_failed_turn_exits_non_zero_with_the_cause_once(run_cli, write_config):
    folder = write_config(FAILING)
    result = run_cli("chat", "--config", str(folder), "--message", "hello there")
    assert result.returncode == 1
    assert result.stdout.strip() == "I'm sorry, an internal error has occurred."
    assert result.stderr.count("inventory database unreachable") == 1, result.stderr
    assert "Traceback" not in result.stderr
    verbose = run_cli("chat", "--config", str(folder), "--message", "hello there", "--verbose")
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_a_missing_api_key_is_named_without_a_traceback(run_cli, write_config, monkeypatch):
    folder = write_config({"config.yml": "models:\n  - {type: main, engine: openai, "
                                         "model: gpt-4o-mini}\n"})
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = run_cli("chat", "--config", str(folder), "--message", "hi")
    assert result.returncode == 1
    assert "OPENAI_API_KEY" in result.stderr and "OPENAI_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("no API key") == 1


def test_config_may_be_a_file(run_cli, tmp_path):
    one = tmp_path / "one.co"
    one.write_text('define user hi\n  "hi"\ndefine bot hello\n  "hello!"\n'
                   "define flow\n  user hi\n  bot hello\n")
    result = run_cli("chat", "--config", str(one), "--message", "hi")
    assert (result.returncode, result.stdout.strip()) == (0, "hello!")


def test_a_config_yml_beside_co_files_gets_a_hint(run_cli, store_support):
    result = run_cli("chat", "--config", str(store_support / "config.yml"), "--message", "hi")
    assert result.returncode == 1
    assert f"--config {store_support}" in result.stderr and "Traceback" not in result.stderr


def test_piping_into_head_is_quiet(tmp_path, store_support):
    command = (f"yes hello | head -40 | {sys.executable} -m rails chat --config "
               f"{store_support} | head -1")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.stdout.startswith("Hi! Welcome")
    assert "BrokenPipe" not in result.stderr and "Traceback" not in result.stderr


def test_version(run_cli):
    import rails

    result = run_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"dialog-rails {rails.__version__}")


def test_check_fails_for_a_config_that_cannot_answer(run_cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("check", str(empty))
    assert result.returncode == 1 and "cannot answer anything" in result.stdout


def test_check_warns_when_the_dialog_needs_a_model(run_cli, write_config):
    folder = write_config({"flows.co": 'define user hi\n  "hi"\ndefine flow x\n  user hi\n'
                                       "  bot greet back\n  $name = ...\n"})
    result = run_cli("check", str(folder))
    assert result.returncode == 0
    assert "says `bot greet back`, which no `define bot` defines" in result.stdout
    assert "asks the model for $name" in result.stdout
    general = write_config({"config.yml": "instructions:\n  - {type: general, content: x}\n",
                            "flows.co": 'define bot hi\n  "hi"\n'}, name="general")
    result = run_cli("check", str(general))
    assert "general mode" in result.stdout


def test_misspelled_rails_key_is_an_error_reported_once(run_cli, write_config):
    folder = write_config({"config.yml": "rails:\n  inptu:\n    flows: [x]\n",
                           "a.co": 'define user hi\n  "hi"\n'})
    result = run_cli("check", str(folder))
    assert result.returncode == 1
    assert result.stdout.count("rails.inptu: unknown key; did you mean 'input'?") == 1


def test_colang_hints(run_cli, write_config):
    folder = write_config({"a.co": 'define user hi\n  "hi"\ndefne bot x\n  "y"\n'})
    result = run_cli("check", str(folder))
    assert "did you mean `define`?" in result.stdout
    folder = write_config({"a.co": 'define user hi\n  "hi"\ndefine flow x\n  user hi\n'
                                   "      bot hello\n"}, name="indented")
    result = run_cli("check", str(folder))
    assert "a.co:5:7: this line is indented more than the statement above it" in result.stdout


def test_yaml_errors_point_at_the_mistake(run_cli, write_config):
    folder = write_config({"config.yml": "models:\n  - type: main\n    engine: openai\n"
                                         "    model: [x\ninstructions:\n  - type: general\n"})
    result = run_cli("check", str(folder))
    assert "started at line 4" in result.stdout and "    model: [x" in result.stdout
    folder = write_config({"config.yml": "models:\n\t- type: main\n"}, name="tabs")
    result = run_cli("check", str(folder))
    assert "tabs" in result.stdout


def test_nemo_server_command_with_its_flags(tmp_path, store_support):
    import os
    import shutil
    import socket
    import time

    configs = tmp_path / "configs"
    shutil.copytree(store_support, configs / "store")
    other = tmp_path / "more" / "second"
    other.mkdir(parents=True)
    (other / "a.co").write_text('define user hi\n  "hi"\ndefine bot hello\n  "second!"\n'
                                "define flow\n  user hi\n  bot hello\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "rails", "server", "--config", str(configs), "--config",
         str(other), "--port", str(port), "--prefix", "/guardrails", "--disable-chat-ui",
         "--auto-reload", "--threads-db", str(tmp_path / "t.sqlite3")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}/guardrails"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        ids = [item["id"] for item in httpx.get(base + "/v1/rails/configs").json()]
        assert ids == ["second", "store"]
        outside = httpx.get(f"http://127.0.0.1:{port}/health")
        assert outside.status_code == 404 and "/guardrails" in outside.json()["error"]["message"]

        def ask(config_id: str) -> str:
            body = {"config_id": config_id, "messages": [{"role": "user", "content": "hi"}]}
            reply = httpx.post(base + "/v1/chat/completions", json=body, timeout=30)
            return reply.json()["choices"][0]["message"]["content"]

        assert ask("second") == "second!"
        # --auto-reload: an edit is picked up without a restart.
        time.sleep(1.1)
        (other / "a.co").write_text('define user hi\n  "hi"\ndefine bot hello\n  "edited!"\n'
                                    "define flow\n  user hi\n  bot hello\n")
        time.sleep(1.1)
        assert ask("second") == "edited!"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def test_server_without_config_names_the_default_folder(run_cli):
    result = run_cli("server", "--port", "9")
    assert result.returncode == 1 and "./config" in result.stderr
