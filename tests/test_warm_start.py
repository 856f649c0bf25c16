"""Start-up from a warm parse cache: building LLMRails imports no parser (lark) at all.

Documents come from the disk cache with the trees of their expressions (rails/lang), so neither
the config's flows nor the built-in library's are parsed again, and their `if`/`set`/`while`
expressions are compiled from the cached trees. Runs in fresh processes: `sys.modules` of the
test process has long had lark in it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

CONFIG = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
"""
FLOWS = """\
define user ask total
  "what is the total of my basket?"

define bot say total
  "Your basket: $count items, $total USD ($label)."

define bot say empty
  "Your basket is empty."

define flow total
  user ask total
  $items = [{"price": 12.5}, {"price": 30}, {"price": 7.5}]
  $count = len($items)
  $total = 0
  $i = 0
  while $i < $count
    $total = $total + $items[$i].price
    $i = $i + 1
  $label = f"{'big' if $total > 40 else 'small'} basket, first {$items[0]['price']:.2f}"
  if $count > 0 and not $items[-1:] == []
    bot say total
  else
    bot say empty
"""
SCRIPT = """\
import json, sys
from rails import LLMRails, RailsConfig
rails = LLMRails(RailsConfig.from_path(sys.argv[1]))
constructed = "lark" in sys.modules
reply = rails.generate(messages=[{"role": "user", "content": "what is the total of my basket?"}])
print(json.dumps({"lark_after_construct": constructed, "lark_after_turn": "lark" in sys.modules,
                  "reply": reply["content"]}))
"""


def _run(config_dir, cache_dir) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DIALOG_RAILS_NO_CACHE"}
    env["DIALOG_RAILS_CACHE_DIR"] = str(cache_dir)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(config_dir)], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_warm_cache_start_imports_no_lark_and_runs_expressions(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.yml").write_text(CONFIG)
    (config_dir / "basket.co").write_text(textwrap.dedent(FLOWS))
    cache_dir = tmp_path / "cache"
    expected = "Your basket: 3 items, 50.0 USD (big basket, first 12.50)."

    cold = _run(config_dir, cache_dir)  # parses, and fills the cache
    assert cold["lark_after_construct"] is True
    assert cold["reply"] == expected

    warm = _run(config_dir, cache_dir)
    assert warm == {"lark_after_construct": False, "lark_after_turn": False,
                    "reply": expected}
