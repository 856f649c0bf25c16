"""Interactive actions through the public Python API: `generate` carries buttons, questions
and UI events; `click` and `answer` continue the conversation; steps run at most once."""
from __future__ import annotations

import time

import pytest

from rails import LLMRails, RailsConfig
from rails.errors import (AnswerTooLargeError, ButtonNotFoundError, ButtonUnavailableError,
                          InteractionClosedError, InteractionError, InteractionExpiredError,
                          StepOutcomeUnknownError)
from rails.interaction import CANCELLED, TIMED_OUT, Button, NoAnswer, UIEvent


def _rails(path) -> LLMRails:
    return LLMRails(RailsConfig.from_path(str(path)))


def _ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_confirmation_bot(examples_dir):
    rails = _rails(examples_dir / "confirmation_bot")
    message = rails.generate(messages=_ask("delete my data"))
    assert message["content"] == "Are you sure you want to delete your data?"
    assert [(b["name"], b["label"]) for b in message["buttons"]] == [
        ("confirm_delete", "Confirm Deletion"), ("cancel_delete", "Cancel")]
    confirm, cancel = (b["id"] for b in message["buttons"])
    answer = rails.click(confirm)
    assert answer["content"] == "Okay, deleting 'important_data.txt' for user123... (Not really!)"
    assert {"type": "buttons_removed", "data": {"ids": [confirm, cancel]}} in \
        answer["ui_events"]
    with pytest.raises(ButtonUnavailableError, match="no longer available"):
        rails.click(cancel)
    with pytest.raises(ButtonUnavailableError):
        rails.click(confirm)  # the same click delivered twice runs once
    with pytest.raises(ButtonNotFoundError):
        rails.click("btn_unknown")
    # Cancel on a fresh message.
    again = rails.generate(messages=_ask("delete my data"))
    assert rails.click(again["buttons"][1]["id"])["content"] == "Deletion cancelled."


def test_plain_turns_are_unchanged(examples_dir):
    rails = _rails(examples_dir / "confirmation_bot")
    assert rails.generate(messages=_ask("hello")) == {
        "role": "assistant",
        "content": "Hello! I can pretend to delete data. Try typing 'delete my data'."}


def test_append_note_from_a_flow_and_from_the_toolbar(examples_dir, capsys):
    rails = _rails(examples_dir / "append_note")
    history = _ask("append a note")
    asked = rails.generate(messages=history)
    question = asked["interaction"]
    assert {k: question[k] for k in ("type", "title", "message", "placeholder")} == {
        "type": "input", "title": "Write a message", "message": "Enter a message to append.",
        "placeholder": "Enter your message"}
    assert question["timeout_s"] == 300
    assert question["expires_at"] == pytest.approx(time.time() + 300, abs=5)
    noted = rails.answer(question["id"], "buy milk")
    assert noted["content"] == "Noted: buy milk"
    with pytest.raises(InteractionClosedError):
        rails.answer(question["id"], "buy bread")
    # The toolbar button under the bot message runs the same Action Function, with `body`
    # holding that message; its returned dict reaches the UI as a `result` event.
    toolbar = noted["buttons"][0]
    assert (toolbar["name"], toolbar["label"], toolbar["icon"], toolbar["kind"]) == (
        "append_note", "Append note", "pencil", "toolbar")
    history += [asked, noted]
    clicked = rails.click(toolbar["id"], messages=history)
    result = rails.answer(clicked["interaction"]["id"], "call mum")
    assert {"type": "result", "data": {"user_input": "call mum"}} in result["ui_events"]
    cancelled = rails.click(toolbar["id"], messages=history)  # toolbar buttons are reusable
    result = rails.answer(cancelled["interaction"]["id"], cancel=True)
    assert {"type": "result", "data": {"user_input": None}} in result["ui_events"]
    assert "call mum" in capsys.readouterr().out  # the seed's own print()


def test_bad_answers(charge_config):
    path, log = charge_config
    rails = _rails(path)
    question = rails.generate(messages=_ask("pay my bill"))["interaction"]
    with pytest.raises(InteractionError, match="true or false"):
        rails.answer(question["id"], "yes")
    with pytest.raises(InteractionError):
        rails.answer("q_unknown", True)
    assert rails.answer(question["id"], False)["content"] == "Result: not charged (declined)"
    assert log.read_text().splitlines() == ["reserved 42"]


def test_oversized_answer(examples_dir):
    rails = _rails(examples_dir / "append_note")
    question = rails.generate(messages=_ask("append a note"))["interaction"]
    with pytest.raises(AnswerTooLargeError, match="10000"):
        rails.answer(question["id"], "x" * 10_001)
    assert rails.answer(question["id"], "fine")["content"] == "Noted: fine"


def test_steps_run_once_and_ui_events_reach_the_callback(charge_config):
    path, log = charge_config
    rails = _rails(path)
    seen: list[dict] = []
    asked = rails.generate(messages=_ask("pay my bill"), on_ui_event=seen.append)
    assert seen == [{"type": "status", "data": {"description": "waiting for the customer",
                                                "done": False, "hidden": False}}]
    assert asked["ui_events"] == seen
    assert asked["content"] == ""
    done = rails.answer(asked["interaction"]["id"], True, on_ui_event=seen.append)
    assert done["content"] == "Result: charged 42"
    # The replay did not emit the first status again, nor reserve again.
    assert [event["data"]["description"] for event in seen] == ["waiting for the customer",
                                                                "charged"]
    assert log.read_text().splitlines() == ["reserved 42", "charged 42"]


def test_cancel_and_timeout_values(charge_config):
    path, log = charge_config
    rails = _rails(path)
    asked = rails.generate(messages=_ask("pay my bill"))
    assert rails.answer(asked["interaction"]["id"], cancel=True)["content"] == \
        "Result: not charged (cancelled)"
    config = RailsConfig.from_path(str(path))
    config.interaction.question_timeout = 0.2
    quick = LLMRails(config)
    asked = quick.generate(messages=_ask("pay my bill"))
    time.sleep(0.3)
    with pytest.raises(InteractionExpiredError, match="expired"):
        quick.answer(asked["interaction"]["id"], True)
    resumed = quick.expire_interactions()
    assert [m["content"] for m in resumed] == ["Result: not charged (timeout)"]
    assert quick.expire_interactions() == []
    assert log.read_text().splitlines() == ["reserved 42", "reserved 42"]
    assert not CANCELLED and not TIMED_OUT and TIMED_OUT == NoAnswer("timeout")


def test_a_new_message_withdraws_the_pending_question(charge_config):
    path, log = charge_config
    rails = _rails(path)
    history = _ask("pay my bill")
    asked = rails.generate(messages=history)
    history += [asked, {"role": "user", "content": "hello"}]
    assert rails.generate(messages=history)["content"] == "Hello!"
    with pytest.raises(InteractionClosedError, match="withdrawn"):
        rails.answer(asked["interaction"]["id"], True)
    assert log.read_text().splitlines() == ["reserved 42"]


def test_stream_async_yields_ui_events(charge_config):
    import asyncio

    path, _ = charge_config
    rails = _rails(path)

    async def collect():
        return [chunk async for chunk in rails.stream_async(messages=_ask("pay my bill"),
                                                            ui_events=True)]

    chunks = asyncio.run(collect())
    assert all(isinstance(chunk, UIEvent) for chunk in chunks)
    assert [chunk["type"] for chunk in chunks] == ["status", "interaction"]

    async def plain():
        return [chunk async for chunk in rails.stream_async(messages=_ask("hello"))]

    assert asyncio.run(plain()) == ["Hello!"]


def test_colang_buttons_without_python(colang_buttons_config):
    rails = _rails(colang_buttons_config)
    asked = rails.generate(messages=_ask("I want a shirt"))
    assert asked["content"] == "Which size?"
    assert [b["label"] for b in asked["buttons"]] == ["Small", "Large"]
    assert rails.click(asked["buttons"][1]["id"])["content"] == "Size L it is."
    offered = rails.generate(messages=_ask("help me"))
    assert [b["label"] for b in offered["buttons"]] == ["Call support"]
    called = rails.click(offered["buttons"][0]["id"])
    assert called["content"] == "Calling support."


def test_callbacks_registered_from_code(write_config):
    path = write_config({
        "config.yml": "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n",
        "flows.co": 'define user order\n  "order pizza"\n\ndefine flow order\n  user order\n'
                    "  execute offer\n",
        "actions.py": """
            from rails.actions import Button, Message, action

            @action()
            async def offer():
                await Message("Which one?", buttons=[
                    Button("pick", "Margherita", payload={"pizza": "margherita"}),
                    Button("pick", "Funghi", payload={"pizza": "funghi"},
                           tooltip="with mushrooms", icon="leaf")]).send()
        """})
    rails = _rails(path)
    picked = []

    async def on_pick(button, body, context):
        picked.append((button.label, button.payload, body["button"]["name"]))
        await Message(f"One {button.payload['pizza']} coming.").send()

    from rails.actions import Message

    rails.register_callback("pick", on_pick)
    asked = rails.generate(messages=_ask("order pizza"))
    assert asked["buttons"][1] == {"id": asked["buttons"][1]["id"], "name": "pick",
                                   "label": "Funghi", "tooltip": "with mushrooms",
                                   "icon": "leaf"}
    assert rails.click(asked["buttons"][1]["id"])["content"] == "One funghi coming."
    assert picked == [("Funghi", {"pizza": "funghi"}, "pick")]
    with pytest.raises(ButtonUnavailableError):  # used once: a button is not reusable
        rails.click(asked["buttons"][1]["id"])


def test_unhandled_button_is_refused_before_it_is_used(write_config):
    path = write_config({
        "flows.co": 'define user go\n  "go"\n\ndefine flow go\n  user go\n'
                    '  execute add_button(name="nowhere", label="Nowhere")\n'
                    '  bot say "Here."\n',
        "config.yml": "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n"})
    rails = _rails(path)
    asked = rails.generate(messages=_ask("go"))
    with pytest.raises(ButtonUnavailableError, match="no callback"):
        rails.click(asked["buttons"][0]["id"])


def test_step_interrupted_before_its_result_is_not_run_again(write_config, tmp_path, caplog):
    marker = tmp_path / "ran.txt"
    path = write_config({
        "config.yml": "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n",
        "flows.co": 'define user go\n  "go"\n\ndefine flow go\n  user go\n'
                    "  $r = execute risky\n  bot say \"$r\"\n",
        "actions.py": f"""
            from rails.actions import action, ask, step

            def side_effect():
                with open({str(marker)!r}, "a") as f:
                    f.write("x")
                return "done"

            @action()
            async def risky():
                ok = await ask.confirm("Go?", "Really?")
                return await step("send", side_effect) if ok else "no"
        """})
    rails = _rails(path)
    asked = rails.generate(messages=_ask("go"))
    question = asked["interaction"]
    # Simulate a crash inside the step: its start is in the journal, its result is not.
    store = rails._interactions.store
    record = rails._loop_thread.run(store.get(f"question:{question['id']}"))
    run_id = record["run_id"]

    async def crash():
        from rails.interaction import records
        await records.update_journal(store, run_id, 60, lambda entries: {
            **entries, "s:send#0": {"status": "started"}})

    rails._loop_thread.run(crash())
    with caplog.at_level("ERROR", logger="rails.runtime"):
        answer = rails.answer(question["id"], True)
    assert answer["content"] == "I'm sorry, an internal error has occurred."
    assert not marker.exists()
    failures = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert any(isinstance(error, StepOutcomeUnknownError) and "'send'" in str(error)
               for error in failures)


def test_confirmation_before_marked_actions(write_config, tmp_path):
    marker = tmp_path / "wiped.txt"
    path = write_config({
        "config.yml": "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n",
        "flows.co": 'define user wipe\n  "wipe everything"\n\ndefine flow wipe\n  user wipe\n'
                    "  $r = execute wipe_all\n  bot say \"Wiped: $r\"\n",
        "actions.py": f"""
            from rails.actions import action

            @action(confirm=True, confirm_message="Wipe all your files?")
            async def wipe_all():
                open({str(marker)!r}, "a").write("w")
                return "yes"
        """})
    rails = _rails(path)
    asked = rails.generate(messages=_ask("wipe everything"))
    assert asked["interaction"]["type"] == "confirmation"
    assert asked["interaction"]["message"] == "Wipe all your files?"
    assert not marker.exists()
    declined = rails.answer(asked["interaction"]["id"], False)
    assert declined["content"] == "Okay, I did not do it.\nWiped: False"
    assert not marker.exists()
    asked = rails.generate(messages=_ask("wipe everything"))
    assert rails.answer(asked["interaction"]["id"], True)["content"] == "Wiped: yes"
    assert marker.read_text() == "w"


def test_bad_ui_events_and_helpers_outside_a_run():
    import asyncio

    from rails.interaction import ask, emit, step
    from rails.interaction.ui_events import check_event

    with pytest.raises(ValueError, match="unknown UI event type 'progress'"):
        check_event({"type": "progress", "data": {}})
    with pytest.raises(ValueError, match="needs data key"):
        check_event({"type": "status", "data": {}})
    with pytest.raises(InteractionError, match="inside an action"):
        asyncio.run(emit.status("x"))
    with pytest.raises(InteractionError, match="inside an action"):
        asyncio.run(ask.input("x"))
    assert asyncio.run(step("plain", lambda: 3)) == 3  # outside a run: just runs
    with pytest.raises(ValueError, match="name"):
        Button("")


def test_config_errors_name_the_key(write_config):
    from rails.errors import ConfigError

    path = write_config({"config.yml": "interaction:\n  buttons:\n    greet:\n"
                                       "      - {name: a, colour: red}\n"})
    with pytest.raises(ConfigError, match="colour"):
        _rails(path)
    path = write_config({"config.yml": "interaction:\n  toolbar:\n    - {action: nothing}\n"},
                        name="tb")
    with pytest.raises(ConfigError, match="nothing"):
        _rails(path)
