"""NeMo's server hooks through a real server process: the root config.py's init(app)
registers a logger and a DataStore, challenges.json is served at /v1/challenges."""
from __future__ import annotations

import json
import uuid

import httpx

from tests.folders import write_files
from tests.server.conftest import COUNTER_CONFIG

ROOT_CONFIG_PY = '''
import json
import os

from nemoguardrails.server.api import register_datastore, register_logger
from nemoguardrails.server.datastore.datastore import DataStore

OUT = os.environ["HOOKS_OUT"]


class FileStore(DataStore):
    """A DataStore the test can read: one JSON file."""

    def _all(self):
        try:
            with open(OUT + ".store") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    async def get(self, key):
        return self._all().get(key)

    async def set(self, key, value):
        data = self._all()
        data[key] = value
        with open(OUT + ".store", "w") as handle:
            json.dump(data, handle)


async def log_request(entry):
    with open(OUT + ".log", "a") as handle:
        handle.write(json.dumps(entry) + "\\n")


def init(app):
    register_logger(log_request)
    register_datastore(FileStore())
'''


def test_config_py_hooks_and_challenges(server_factory, tmp_path):
    root = tmp_path / "configs"
    write_files(root / "counter", COUNTER_CONFIG)
    (root / "config.py").write_text(ROOT_CONFIG_PY)
    (root / "challenges.json").write_text(json.dumps([
        {"id": "jb-1", "name": "Pretend to be evil", "description": "A jailbreak try."}]))
    out = tmp_path / "hooks"
    server = server_factory("--config-dir", str(root), env={"HOOKS_OUT": str(out)})

    challenges = httpx.get(server.base_url + "/v1/challenges").json()
    assert challenges == [{"id": "jb-1", "name": "Pretend to be evil",
                           "description": "A jailbreak try."}]

    thread = f"thread-{uuid.uuid4().hex}"
    for number in (1, 2):
        answer = httpx.post(server.base_url + "/v1/chat/completions", json={
            "model": "counter", "thread_id": thread,
            "messages": [{"role": "user", "content": "hello there"}]}).json()
        assert answer["choices"][0]["message"]["content"] == \
            f"You have sent {number} messages."

    stored = json.loads(out.with_suffix(".store").read_text())
    messages = json.loads(stored[f"thread-{thread}"])  # NeMo's key and format
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert f"thread-{thread}:rails" in stored

    lines = out.with_suffix(".log").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 2
    assert entries[0]["endpoint"] == "/v1/chat/completions"
    assert json.loads(entries[0]["body"])["thread_id"] == thread
