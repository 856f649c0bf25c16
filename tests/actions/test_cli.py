"""`dialog-rails actions-server`: argument handling and start-up failures (the serving itself is
covered by test_remote.py against a real subprocess)."""
from __future__ import annotations

import subprocess
import sys

from rails.cli import build_parser


def test_sub_command_is_registered_with_its_options():
    args = build_parser().parse_args([
        "actions-server", "--config", "a", "--config", "b", "--module", "pkg.actions",
        "--port", "9000", "--token", "t", "--max-body", "10", "--timeout", "2.5",
        "--threads", "4"])
    assert args.config == ["a", "b"] and args.module == ["pkg.actions"]
    assert (args.host, args.port, args.token) == ("127.0.0.1", 9000, "t")
    assert (args.max_body, args.timeout, args.threads) == (10, 2.5, 4)
    assert callable(args.func)


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rails", "actions-server", *args],
                          capture_output=True, text=True, timeout=60, cwd=cwd)


def test_missing_config_folder(tmp_path):
    result = run_cli("--config", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert f"config folder not found: {tmp_path / 'nowhere'}" in result.stderr


def test_limits_must_be_positive(tmp_path):
    result = run_cli("--config", str(tmp_path), "--threads", "0")
    assert result.returncode == 2 and "must be positive" in result.stderr


def test_broken_actions_stop_the_start_with_the_cause(tmp_path):
    (tmp_path / "actions.py").write_text("from rails.actions import action\n"
                                         "raise ImportError('needs the billing SDK')\n")
    result = run_cli("--config", str(tmp_path), "--module", "no_such_module_xyz")
    assert result.returncode == 1
    assert f"cannot import {tmp_path / 'actions.py'}" in result.stderr
    assert "needs the billing SDK" in result.stderr
    assert "cannot import no_such_module_xyz: ModuleNotFoundError" in result.stderr


def test_modules_are_served(server_factory, tmp_path):
    (tmp_path / "served_module_for_test.py").write_text(
        "from rails.actions import action\n\n"
        "@action(name='triple')\n"
        "def triple(x: int) -> int:\n"
        "    return 3 * x\n")
    import httpx

    server = server_factory("--module", "served_module_for_test",
                            env={"PYTHONPATH": str(tmp_path)})
    response = httpx.post(f"{server.url}/v1/actions/run", headers=server.headers,
                          json={"action_name": "triple", "action_parameters": {"x": 4}})
    assert response.json() == {"status": "success", "result": 12}
