"""Hostile or broken config folders fail at load, fast, with a ConfigError or ColangSyntaxError
naming the file (and the key path or line): alias bombs, YAML value errors, FIFOs, devices,
oversized files, links out of the folder, deep nesting."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from rails import LLMRails, RailsConfig
from rails.errors import ColangSyntaxError, ConfigError
from rails.lang.parser import MAX_BLOCK_DEPTH

BOMB = """\
models:
  - type: main
    engine: openai
    model: gpt-4o-mini
    parameters:
      a: &a [x, x, x, x, x, x, x, x, x]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_an_alias_bomb_is_refused_at_load(write_config):
    folder = write_config({"config.yml": BOMB})
    with pytest.raises(ConfigError, match="alias") as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("config.yml")


def test_a_few_aliases_still_work(write_config):
    folder = write_config({"config.yml": """
        models:
          - {type: main, engine: openai, model: a, parameters: &p {temperature: 0.1}}
          - {type: other, engine: openai, model: b, parameters: *p}
        """})
    config = RailsConfig.from_path(str(folder))
    assert config.models[1].parameters == {"temperature": 0.1}


def test_a_recursive_alias_is_refused(write_config):
    folder = write_config({"config.yml": "custom_data: &a {d: [*a]}\n"})
    with pytest.raises(ConfigError, match="recursive"):
        RailsConfig.from_path(str(folder))


@pytest.mark.parametrize("line, key, words", [
    ("custom_data: {d: 2024-13-01}", "custom_data.d", "date"),
    ("custom_data: {list: [1, {y: !!int abc}]}", "custom_data.list[1].y", "integer"),
    ("custom_data: {d: !!bool maybe}", "custom_data.d", "boolean"),
    ("custom_data: {d: !!float x}", "custom_data.d", "number"),
    ("custom_data: {d: !!timestamp x}", "custom_data.d", "date"),
])
def test_yaml_value_errors_name_file_key_and_line(write_config, line, key, words):
    folder = write_config({"config.yml": "models: []\n" + line + "\n"})
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_path(str(folder))
    error = caught.value
    assert error.file.endswith("config.yml") and error.key == key
    assert "line 2" in error.message and words in error.message


def test_yaml_value_errors_in_yaml_content_are_config_errors():
    with pytest.raises(ConfigError, match="custom_data.d"):
        RailsConfig.from_content(yaml_content="custom_data: {d: 2024-02-30}\n")


def test_a_fifo_named_like_a_colang_file_does_not_hang(write_config):
    folder = write_config({"config.yml": "models: []\n"})
    os.mkfifo(folder / "x.co")
    with pytest.raises(ConfigError, match="FIFO") as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("x.co")


def test_a_link_to_dev_zero_is_not_read(write_config):
    folder = write_config({"config.yml": "models: []\n"})
    (folder / "x.co").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="outside the config folder"):
        RailsConfig.from_path(str(folder))


def test_a_device_given_directly_is_not_read(tmp_path):
    link = tmp_path / "x.co"
    link.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="must be a folder, a .yml"):
        RailsConfig.from_path(str(link))


def test_a_link_to_the_root_is_not_walked(write_config):
    folder = write_config({"config.yml": "models: []\n"})
    (folder / "everything").symlink_to("/", target_is_directory=True)
    with pytest.raises(ConfigError, match="outside the config folder"):
        RailsConfig.from_path(str(folder))


def test_file_size_caps_apply_and_can_be_raised(write_config, monkeypatch):
    folder = write_config({"config.yml": "models: []\n",
                           "big.co": "# padding\n" * 2000 + 'define user x\n  "y"\n',
                           "kb/manual.md": "# Manual\n" + "text " * 3000})
    monkeypatch.setenv("DIALOG_RAILS_MAX_FILE_BYTES", "10000")
    with pytest.raises(ConfigError, match="larger than the limit of 10,000 bytes") as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("big.co")
    monkeypatch.setenv("DIALOG_RAILS_MAX_FILE_BYTES", "100000")
    monkeypatch.setenv("DIALOG_RAILS_MAX_KB_FILE_BYTES", "1000")
    with pytest.raises(ConfigError, match="larger than the limit") as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("manual.md")
    monkeypatch.setenv("DIALOG_RAILS_MAX_KB_FILE_BYTES", "100000")
    assert RailsConfig.from_path(str(folder)).user_messages == {"x": ["y"]}


def test_a_bad_cap_setting_is_named(write_config, monkeypatch):
    folder = write_config({"config.yml": "models: []\n"})
    monkeypatch.setenv("DIALOG_RAILS_MAX_FILE_BYTES", "lots")
    with pytest.raises(ConfigError, match="DIALOG_RAILS_MAX_FILE_BYTES"):
        RailsConfig.from_path(str(folder))


def _nested_ifs(depth: int) -> str:
    lines = ['define user hi\n  "hi"\n', 'define bot deep\n  "deep"\n', "define flow f",
             "  user hi"]
    lines += ["  " * (level + 1) + "if True" for level in range(depth)]
    lines.append("  " * (depth + 1) + "bot deep")
    return "\n".join(lines) + "\n"


def test_nesting_up_to_the_limit_runs():
    config = RailsConfig.from_content(colang_content=_nested_ifs(MAX_BLOCK_DEPTH))
    reply = LLMRails(config).generate(messages=[{"role": "user", "content": "hi"}])
    assert reply["content"] == "deep"


def test_991_nested_ifs_are_a_located_syntax_error():
    with pytest.raises(ColangSyntaxError) as caught:
        RailsConfig.from_content(colang_content=_nested_ifs(991))
    error = caught.value
    assert "nested more than 100 levels" in error.message
    # Lines 1-8 are the messages and the flow's head; line 9 + k is the k-th `if` (0-based),
    # and the first line nested deeper than the limit is the one inside the 101st block.
    assert error.line == 9 + MAX_BLOCK_DEPTH + 1 and error.file == "main.co"


def test_the_cli_check_reports_a_fifo_without_hanging(write_config):
    folder = write_config({"config.yml": "models: []\n"})
    os.mkfifo(folder / "x.co")
    done = subprocess.run([sys.executable, "-m", "rails", "check", str(folder)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "FIFO" in done.stdout + done.stderr, textwrap.shorten(done.stderr, 400)


def test_a_fifo_among_the_action_files_does_not_hang(write_config):
    from rails import LLMRails

    folder = write_config({"config.yml": "models: []\n", "a.co": 'define user hi\n  "hi"\n',
                           "actions/real.py": "from rails.actions import action\n\n"
                                              "@action()\nasync def real_one():\n"
                                              "    return 1\n"})
    os.mkfifo(folder / "actions" / "blocked.py")
    os.mkfifo(folder / "config.py")
    rails = LLMRails(RailsConfig.from_path(str(folder)))  # returns: nothing blocked
    assert rails.runtime.dispatcher.has("real_one")
