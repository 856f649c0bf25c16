"""Config folders for the interactive-action tests, written into tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.folders import write_files
from tests.server_processes import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
CONFIRMATION_BOT = ROOT / "config_examples" / "confirmation_bot"
APPEND_NOTE = ROOT / "config_examples" / "append_note"
LONG_EXPORT = ROOT / "config_examples" / "long_export"

_OFFLINE = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.5
      embeddings_only_fallback_intent: unrecognized request
"""

# A payment that asks for confirmation between two side effects, each a named step that
# appends a line to the file named by $CHARGE_LOG: the file counts how often each really ran,
# whatever the process.
CHARGE_CONFIG = {
    "config.yml": "interaction:\n  question_timeout: 60\n" + _OFFLINE,
    "flows.co": """\
define user ask to pay
  "pay my bill"
  "charge my card"

define user greet
  "hello"

define bot report outcome
  "Result: $outcome"

define bot greet
  "Hello!"

define flow pay
  user ask to pay
  $outcome = execute charge_card(amount=42)
  bot report outcome

define flow greeting
  user greet
  bot greet
""",
    "actions.py": """\
import os

from rails.actions import action, emit, step


def _log(line):
    with open(os.environ["CHARGE_LOG"], "a") as file:
        file.write(line + "\\n")
    return line


@action()
async def charge_card(amount: int, __event_call__=None):
    await step("reserve", _log, f"reserved {amount}")
    await emit.status("waiting for the customer")
    confirmed = await __event_call__({"type": "confirmation", "data": {
        "title": "Charge the card?", "message": f"Charge {amount} EUR?"}})
    if not confirmed:
        reason = getattr(confirmed, "reason", "declined")
        return f"not charged ({reason})"
    receipt = await step("charge-card", _log, f"charged {amount}")
    await emit.status("charged", done=True)
    return receipt
""",
}

# Colang only: buttons from YAML for a predefined bot message and from `add_button`, clicks
# matched as `user clicked <name>`.
COLANG_BUTTONS_CONFIG = {
    "config.yml": _OFFLINE + """\
interaction:
  buttons:
    ask size:
      - {name: pick_small, label: Small, payload: {size: S}}
      - {name: pick_large, label: Large, payload: {size: L}}
""",
    "flows.co": """\
define user order a shirt
  "I want a shirt"

define user ask for help
  "help me"

define bot ask size
  "Which size?"

define bot offer help
  "Shall I call someone?"

define bot confirm size
  "Size $button.payload.size it is."

define bot calling
  "Calling support."

define flow shirt
  user order a shirt
  bot ask size

define flow sizes
  user clicked pick_small
  bot confirm size

define flow large
  user clicked pick_large
  bot confirm size

define flow help
  user ask for help
  execute add_button(name="call_support", label="Call support")
  bot offer help

define flow call
  user clicked call_support
  execute remove_buttons
  bot calling
""",
}


@pytest.fixture
def charge_config(tmp_path, monkeypatch):
    log = tmp_path / "charges.log"
    log.write_text("")
    monkeypatch.setenv("CHARGE_LOG", str(log))
    return write_files(tmp_path / "charge", CHARGE_CONFIG), log


@pytest.fixture
def colang_buttons_config(tmp_path):
    return write_files(tmp_path / "colang_buttons", COLANG_BUTTONS_CONFIG)


# -- real processes on loopback (tests/server_processes.py) --------------------------------------

@pytest.fixture
def start_server():
    started: list = []

    def start(*args: str, env: dict | None = None) -> ServerProcess:
        started.append(ServerProcess(args, env=env or {}).start(timeout=60))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def serve_configs(tmp_path: Path) -> tuple[Path, Path]:
    """A config folder with the confirmation bot, the append-note example, the payment
    config and the Colang-buttons config; the log file counts the payment's side effects
    (pass it as CHARGE_LOG)."""
    import shutil

    root = tmp_path / "configs"
    root.mkdir()
    shutil.copytree(CONFIRMATION_BOT, root / "confirm")
    shutil.copytree(APPEND_NOTE, root / "note")
    write_files(root / "charge", CHARGE_CONFIG)
    write_files(root / "shirts", COLANG_BUTTONS_CONFIG)
    log = tmp_path / "charges.log"
    log.write_text("")
    return root, log


@pytest.fixture
def served_configs(tmp_path):
    return serve_configs(tmp_path)


@pytest.fixture
def redis_url(redis_server):
    """A private redis-server on a free port (the shared fixture of tests/conftest.py)."""
    return redis_server


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server over `serve_configs` for a module's tests (each uses threads of its own);
    `server.log` is its CHARGE_LOG."""
    tmp = tmp_path_factory.mktemp("served")
    root, log = serve_configs(tmp)
    server = ServerProcess(["--config-dir", str(root), "--default-config", "confirm",
                            "--threads-db", str(tmp / "threads.sqlite3")],
                           env={"CHARGE_LOG": str(log)}).start(timeout=60)
    server.log = log
    yield server
    server.stop()
