"""Limits that hold: no flow expression may build a value over `limits.value_size` (about
10 MB by default) or an integer too big to compute with, whatever the operator, method or
format; nor may a bot message render more text than that. Each reproducer of issue 10 ends
its turn with the fallback message and a FlowEvaluationError naming the expression and the
limit, and the next turn works.

Without the limits each of these takes from seconds to minutes of CPU or gigabytes of memory;
the generous bound on the turn's time below says "it was refused up front", not how fast."""
from __future__ import annotations

import time

import pytest

from rails import LLMRails, RailsConfig

FALLBACK = "I'm sorry, an internal error has occurred."

YAML = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
      embeddings_only_fallback_intent: say other
{extra}"""

FLOWS = """\
define user say go
  "go now"

define user say other
  "something else"

define bot say fine
  "fine"

define flow other
  user say other
  bot say fine

define flow go
  user say go
{body}
"""


def build(write_config, body: str, extra: str = "", bot_messages: str = "") -> LLMRails:
    indented = "\n".join("  " + line for line in body.strip("\n").splitlines())
    folder = write_config({"config.yml": YAML.format(extra=extra),
                           "flows.co": FLOWS.format(body=indented) + bot_messages})
    return LLMRails(RailsConfig.from_path(str(folder)))


def ask(app: LLMRails, text: str) -> str:
    return app.generate(messages=[{"role": "user", "content": text}])["content"]


def refused(app: LLMRails) -> str:
    """Runs the flow; asserts it was refused quickly and the next turn works; returns the
    error message."""
    started = time.monotonic()
    assert ask(app, "go now") == FALLBACK
    took = time.monotonic() - started
    errors = app.explain().errors
    assert len(errors) == 1, errors
    assert errors[0].type in ("FlowEvaluationError", "ExpressionLimitError"), errors[0]
    assert ask(app, "something else") == "fine"
    assert took < 5, f"refused only after {took:.1f} s"
    return errors[0].message


REPRODUCERS = {
    # integers: CPU time
    "power": ("$x = 4000000 ** 4000000", "bits"),
    "power past the reference's bound": ("$x = 4000001 ** 2", "too large"),
    "power under the reference's bound": ("$x = 3999999 ** 3999999", "bits"),
    "product of big integers": ("$x = 7 ** 100000\n$y = $x * $x", "bits"),
    "shift": ("$x = 1\nwhile True\n  $x = $x << 9999", "bits"),
    "from_bytes": ("$x = (0).from_bytes(b'x' * 100000, 'big')", None),
    # strings and formats: memory
    "printf width": ("$x = \"%999999999d\" % 1", "limits.value_size"),
    "printf precision": ("$x = \"%.999999999f\" % 1.5", "limits.value_size"),
    "printf star width": ("$x = \"%*d\" % (999999999, 1)", "limits.value_size"),
    "bytes printf": ("$x = b\"%999999999d\" % 1", "limits.value_size"),
    "f-string width": ("$x = f\"{1:999999999}\"", "limits.value_size"),
    "f-string precision": ("$x = f\"{1.5:.999999999f}\"", "limits.value_size"),
    "to_bytes": ("$x = (0).to_bytes(10 ** 9, \"big\")", "limits.value_size"),
    "ljust": ("$x = \"a\".ljust(10 ** 9)", "limits.value_size"),
    "rjust": ("$x = \"a\".rjust(10 ** 9)", "limits.value_size"),
    "center": ("$x = \"a\".center(10 ** 9, \"-\")", "limits.value_size"),
    "zfill": ("$x = \"1\".zfill(10 ** 9)", "limits.value_size"),
    "expandtabs": ("$x = \"\\t\\t\".expandtabs(10 ** 9)", "limits.value_size"),
    "bytes ljust": ("$x = b\"a\".ljust(10 ** 9)", "limits.value_size"),
    "replace": ("$long = \"x\" * 100000\n$x = (\"a\" * 1000).replace(\"a\", $long)",
                "limits.value_size"),
    "join": ("$sep = \"x\" * 100000\n$x = $sep.join(\"a\" * 1000)", "limits.value_size"),
    # repetition
    "string repetition": ("$x = \"a\" * 10 ** 9", "limits.value_size"),
    "bytes repetition": ("$x = b\"a\" * 10 ** 9", "limits.value_size"),
    "list repetition": ("$x = [0] * 10 ** 8", "limits.value_size"),
    "list of long strings repeated": ("$a = \"x\" * 100000\n$b = [$a] * 99999",
                                      "limits.value_size"),
    # growth across the iterations of a loop
    "doubling a string": ("$s = \"ab\"\nwhile True\n  $s = $s + $s", "limits.value_size"),
    "doubling a list": ("$l = [1]\nwhile True\n  $l = $l + $l", "limits.value_size"),
    "extending a list by itself": ("$l = [1]\nwhile True\n  $r = $l.extend($l)",
                                   "limits.value_size"),
    "squaring an integer": ("$n = 3\nwhile True\n  $n = $n * $n", "bits"),
}


@pytest.mark.parametrize("name", list(REPRODUCERS))
def test_expressions_past_the_limits_are_refused_before_they_run(write_config, name):
    body, wording = REPRODUCERS[name]
    app = build(write_config, body + "\nbot say fine")
    message = refused(app)
    assert "cannot evaluate `" in message  # the expression is named...
    if wording is not None:
        assert wording in message           # ...and so is the limit
    else:
        assert "over the limit" in message


def test_text_a_bot_message_renders_is_bounded(write_config):
    # 5 MB is within the limit; rendering it three times in one message is not.
    app = build(write_config, '$a = "x" * 100000\n$b = [$a] * 50\nbot show it',
                bot_messages='\ndefine bot show it\n  "$b and $b and $b"\n')
    message = refused(app)
    assert "the bot message" in message and "limits.value_size" in message


def test_a_list_grown_in_a_loop_is_bounded_when_rendered(write_config):
    app = build(write_config, """
$a = "y" * 100000
$l = []
$i = 0
while $i < 150
  $r = $l.append($a)
  $i = $i + 1
bot show list
""", bot_messages='\ndefine bot show list\n  "here: $l"\n')
    message = refused(app)
    assert "the bot message 'here: $l'" in message


def test_jinja_operators_in_bot_messages_are_bounded_too(write_config):
    app = build(write_config, '$n = 1000000000\nbot shout',
                bot_messages='\ndefine bot shout\n  "{{ \'a\' * n }}"\n')
    assert "limits.value_size" in refused(app)


def test_values_within_the_limits_still_work(write_config):
    app = build(write_config, """
$s = "ab" * 1000
$n = 2 ** 1000 * 3 ** 500
$t = "%5d|%-4s|%.3f" % (42, "x", 3.14159)
$f = f"{7:05d}"
$p = "x".ljust(10)
$l = [1, 2] * 3
bot report
""", bot_messages='\ndefine bot report\n  "$t $f $p; {{ l | length }} {{ s | length }}"\n')
    assert ask(app, "go now") == "   42|x   |3.142 00007 x         ; 6 2000"


def test_the_limit_is_configurable(write_config):
    app = build(write_config, '$s = "x" * 20000\nbot say fine',
                extra="limits:\n  value_size: 10000\n")
    assert "over the limit of 10,000 bytes" in refused(app)
    roomy = build(write_config, '$s = "x" * 20000\nbot say fine')
    assert ask(roomy, "go now") == "fine"
