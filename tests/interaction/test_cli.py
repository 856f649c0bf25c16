"""`dialog-rails chat` with interactive actions, on a pseudo-terminal as a person uses it and
with piped input: buttons are numbered choices, questions are asked inline with their timeout,
status goes to stderr."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.pty_session import PtySession


def test_buttons_are_numbered_choices_on_a_terminal(examples_dir, tmp_path):
    term = PtySession(["chat", "--config", str(examples_dir / "confirmation_bot")], tmp_path)
    term.read_until("> ")
    term.send("delete my data\n")
    seen = term.read_until("> ")
    assert "Are you sure you want to delete your data?" in seen
    assert "[1] Confirm Deletion   [2] Cancel" in seen
    term.send("2\n")
    assert "Deletion cancelled." in term.read_until("> ")
    term.send("delete my data\n")
    term.read_until("> ")
    term.send("confirm deletion\n")  # the label, in any case
    assert "(Not really!)" in term.read_until("> ")
    term.send("\x04")
    assert term.wait() == 0


def test_questions_are_asked_inline(examples_dir, tmp_path):
    term = PtySession(["chat", "--config", str(examples_dir / "append_note")], tmp_path)
    term.read_until("> ")
    term.send("append a note\n")
    seen = term.read_until("? ", timeout=30)
    seen += term.read_until("? ")
    assert "Write a message" in seen and "Enter a message to append." in seen
    assert "answer within 300 s" in seen
    term.send("buy milk\n")
    assert "Noted: buy milk" in term.read_until("> ")
    term.send("\x04")
    assert term.wait() == 0


def test_a_question_times_out_on_a_terminal(tmp_path, examples_dir):
    import shutil

    config = tmp_path / "note"
    shutil.copytree(examples_dir / "append_note", config)
    yml = config / "config.yml"
    yml.write_text(yml.read_text().replace("question_timeout: 300", "question_timeout: 1"))
    term = PtySession(["chat", "--config", str(config)], tmp_path)
    term.read_until("> ")
    term.send("append a note\n")
    assert "answer within 1 s" in term.read_until("answer within 1 s")
    seen = term.read_until("> ", timeout=20)
    assert "(no answer in time)" in seen
    assert "No note was added." in seen
    term.send("\x04")
    assert term.wait() == 0


def test_piped_input_answers_and_status_goes_to_stderr(examples_dir, tmp_path):
    export_dir = tmp_path / "export"
    env = {**os.environ, "EXPORT_DIR": str(export_dir), "HOME": str(tmp_path)}
    first = subprocess.run(
        [sys.executable, "-m", "rails", "chat", "--config",
         str(examples_dir / "long_export")], input="export my data\n", text=True,
        capture_output=True, timeout=60, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1].startswith("Export finished: 5 parts")
    assert "[status] Exporting part 3 of 5" in first.stderr
    assert "Exporting" not in first.stdout
    # Again: the action asks before overwriting; the next piped line answers.
    second = subprocess.run(
        [sys.executable, "-m", "rails", "chat", "--config",
         str(examples_dir / "long_export")], input="export my data\ny\n", text=True,
        capture_output=True, timeout=60, env=env, cwd=tmp_path)
    assert "? Overwrite?" in second.stdout
    assert second.stdout.splitlines()[-1].startswith("Export finished: 5 parts")
    assert (export_dir / "part-5.csv").read_text() == "id,part\n5,5\n"  # written once
