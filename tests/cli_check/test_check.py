"""`dialog-rails check` as a subprocess on temporary config folders."""
from __future__ import annotations

import re

ACTIONS_PY = """
from rails.actions import action


@action(name="lookup_order")
async def lookup_order(order_id: str = ""):
    return "shipped"


@action()
def compute_total():
    return 3


def not_an_action():
    return None
"""

GOOD_CO = """
define user ask order status
  "where is my order"
  "has my order shipped?"

define user express greeting
  "hello"

define bot express greeting
  "Hello! How can I help?"

define flow greeting
  user express greeting
  bot express greeting

define flow order status
  user ask order status
  $status = execute lookup_order
  bot report order status

define flow check input
  $ok = execute compute_total
  if not $ok
    bot refuse to respond
    stop
"""


def test_good_yaml_only_config_prints_a_summary(write_config, run_check):
    folder = write_config({
        "config.yml": "models:\n  - type: main\n    engine: openai\n    model: gpt-4o-mini\n",
        "kb/faq.md": "# FAQ\n\nAnswers.\n",
        "actions.py": ACTIONS_PY,
    })
    result = run_check(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"OK  {folder}")
    assert "models:" in result.stdout and "main: openai/gpt-4o-mini" in result.stdout
    assert re.search(r"knowledge base: +1 document\(s\)", result.stdout)  # aligned labels
    assert "2: compute_total, lookup_order" in result.stdout
    assert "not_an_action" not in result.stdout


def test_bad_yaml_key_fails_with_file_and_suggestion(write_config, run_check):
    folder = write_config({"config.yml": "modles: []\n"})
    result = run_check(folder)
    assert result.returncode == 1
    assert f"FAILED  {folder}" in result.stdout
    assert f"error: {folder}/config.yml: modles: unknown key; did you mean 'models'?" in \
        result.stdout


def test_every_bad_file_is_reported(write_config, run_check):
    folder = write_config({"a.yml": "streaming: [yes]\n", "b.yml": "x: [unclosed\n"})
    result = run_check(folder)
    assert result.returncode == 1
    assert "a.yml: streaming: expected true or false" in result.stdout
    assert "b.yml: line 2, column 1: invalid YAML" in result.stdout


def test_continues_with_the_next_path_and_fails_overall(write_config, run_check):
    bad = write_config({"config.yml": "colang_version: '2.x'\n"}, name="bad")
    good = write_config({"config.yml": "models: []\n", "a.co": 'define user hi\n  "hi"\n'},
                        name="good")
    result = run_check(bad, good, "/no/such/folder")
    assert result.returncode == 1
    assert f"FAILED  {bad}" in result.stdout and "Colang 2.x is not supported yet" in \
        result.stdout
    assert f"OK  {good}" in result.stdout
    assert "FAILED  /no/such/folder" in result.stdout and "does not exist" in result.stdout


def test_broken_actions_file_is_an_error(write_config, run_check):
    folder = write_config({"config.yml": "models: []\n",
                           "actions.py": "import no_such_module_for_check\n"})
    result = run_check(folder)
    assert result.returncode == 1
    assert "actions.py: importing it failed: ModuleNotFoundError" in result.stdout


def test_good_config_with_flows(write_config, run_check):
    folder = write_config({
        "config.yml": "models: []\nrails:\n  input:\n    flows: [check input]\n",
        "rails/main.co": GOOD_CO,
        "actions.py": ACTIONS_PY,
    })
    result = run_check(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "flows:" in out and "3: greeting, order status, check input" in out
    assert "user intents:" in out and "2: ask order status, express greeting" in out
    assert "bot messages:" in out and "express greeting" in out
    assert "input rails:" in out and "check input" in out
    assert "actions:" in out and "lookup_order" in out
    assert "executes" not in out  # every executed action is defined
    # No model, and `bot report order status` has no text: the model would have to write it.
    assert "says `bot report order status`, which no `define bot` defines" in out
    assert "refuse to respond" not in out  # the library defines that one


def test_actions_no_file_defines_are_warnings(write_config, run_check):
    folder = write_config({
        "config.yml": "models: []\n",
        "rails/main.co": GOOD_CO + """
define flow misspelled
  user ask order status
  execute lookup_ordr
  execute not_an_action
  execute retrieve_relevant_chunks
""",
        "actions.py": ACTIONS_PY,
    })
    result = run_check(folder)
    assert result.returncode == 0, result.stdout + result.stderr  # code may still register them
    warnings = [line for line in result.stdout.splitlines() if "warning:" in line
                and " executes " in line]
    assert len(warnings) == 2, result.stdout
    assert f"flow 'misspelled' ({folder}/rails/main.co:" in warnings[0]
    assert "'lookup_ordr'" in warnings[0] and "Closest registered: lookup_order" in warnings[0]
    assert f"{folder}/actions.py defines `not_an_action` without the @action" in warnings[1]


def test_unknown_actions_are_not_warned_about_with_an_actions_server(write_config, run_check):
    folder = write_config({
        "config.yml": "models: []\nactions_server_url: http://127.0.0.1:9/\n",
        "rails/main.co": "define flow\n  user greet\n  execute served_elsewhere\n",
    })
    result = run_check(folder)
    assert result.returncode == 0 and "executes" not in result.stdout, result.stdout


def test_broken_colang_reports_file_and_line(write_config, run_check):
    folder = write_config({
        "config.yml": "models: []\n",
        "good.co": GOOD_CO,
        "broken.co": "define flow x\n  user greet\n  bot\n",
        "also_broken.co": "define flow y\n  this is wrong\n",
    })
    result = run_check(folder)
    assert result.returncode == 1
    assert f"{folder}/broken.co:3" in result.stdout
    assert f"{folder}/also_broken.co:2" in result.stdout


def test_unknown_rail_flow_lists_the_closest(write_config, run_check):
    folder = write_config({
        "config.yml": "models: []\nrails:\n  input:\n    flows: [chek input]\n",
        "main.co": GOOD_CO,
    })
    result = run_check(folder)
    assert result.returncode == 1
    assert "rails.input.flows: The provided input rail flow `chek input` does not exist" \
        in result.stdout
    assert "'check input'" in result.stdout


def test_single_colang_file(write_config, run_check):
    folder = write_config({"main.co": GOOD_CO})
    result = run_check(folder / "main.co")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3: greeting, order status, check input" in result.stdout


def test_tool_rails_are_listed_in_passthrough_mode_and_warned_about_otherwise(write_config,
                                                                            run_check):
    flows = "define subflow check calls\n  $ok = execute compute_total\n"
    rails = "rails:\n  tool_output:\n    flows: [check calls]\n"
    on = write_config({"config.yml": "passthrough: true\n" + rails, "rails.co": flows,
                       "actions.py": ACTIONS_PY})
    result = run_check(on)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"tool output rails: +check calls", result.stdout), result.stdout
    off = write_config({"config.yml": rails, "rails.co": flows, "actions.py": ACTIONS_PY})
    result = run_check(off)
    assert "rails.tool_output checks the main model's tool calls in passthrough mode only" \
        in result.stdout + result.stderr
