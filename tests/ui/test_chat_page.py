"""The chat page, as a person uses it: in headless Chromium against a real server process."""
from __future__ import annotations

import base64
import hashlib
import re
import shutil
import textwrap
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.server.conftest import FAKE_LLM_WORDS, FakeLLMServer

ROOT = Path(__file__).resolve().parents[2]

TASKS_ACTIONS = '''
import asyncio

from rails.actions import action


@action()
async def export_report(__event_emitter__=None):
    for part in range(1, 4):
        await __event_emitter__({"type": "status", "data": {
            "description": f"Exporting part {part} of 3", "done": False}})
        await asyncio.sleep(0.4)
    await __event_emitter__({"type": "status", "data": {"description": "Export finished",
                                                        "done": True}})
    await __event_emitter__({"type": "notification", "data": {"type": "success",
                                                              "content": "Report ready"}})
    await __event_emitter__({"type": "citation", "data": {
        "source": {"name": "sales-2026.csv"}, "document": ["1,200 rows"]}})
    return "Your report is ready."


@action()
async def close_account(__event_call__=None):
    confirmed = await __event_call__({"type": "confirmation", "data": {
        "title": "Close your account?", "message": "This cannot be undone."}})
    return "Your account is closed." if confirmed is True else "Your account stays open."
'''

TASKS_FLOWS = '''
define user ask export
  "export my report"

define user ask close account
  "close my account"

define user say anything
  "hello"

define bot say result
  "$result"

define bot echo
  "You wrote: $user_message"

define flow export
  user ask export
  $result = execute export_report
  bot say result

define flow close account
  user ask close account
  $result = execute close_account
  bot say result

define flow echo
  user say anything
  bot echo
'''

OFFLINE = """
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.4
      embeddings_only_fallback_intent: say anything
"""


@pytest.fixture
def configs(tmp_path):
    root = tmp_path / "configs"
    for name in ("confirmation_bot", "append_note", "store_support"):
        shutil.copytree(ROOT / "config_examples" / name, root / name)
    tasks = root / "tasks"
    tasks.mkdir()
    (tasks / "config.yml").write_text(OFFLINE)
    (tasks / "actions.py").write_text(textwrap.dedent(TASKS_ACTIONS))
    (tasks / "flows.co").write_text(TASKS_FLOWS)
    return root


@pytest.fixture
def fake_model(configs):
    server = FakeLLMServer()
    folder = configs / "assistant"
    folder.mkdir()
    (folder / "config.yml").write_text(f"""
models:
  - type: main
    engine: openai
    model: fake-model
    parameters:
      base_url: {server.base_url}
      api_key: not-needed
""")
    yield server
    server.close()


def open_chat(page, server, config):
    page.goto(f"{server.base_url}/?config={config}")
    expect(page.get_by_label("Config")).to_have_value(config)
    return page.get_by_role("textbox", name="Message")


def say(page, box, text):
    box.fill(text)
    box.press("Enter")


def test_a_message_gets_a_streamed_reply(page, serve, configs, fake_model):
    server = serve(configs)
    box = open_chat(page, server, "assistant")
    say(page, box, "hi there")
    answer = page.locator(".message.assistant").last
    expect(answer.locator(".body")).to_have_text("".join(FAKE_LLM_WORDS))
    assert int(answer.get_attribute("data-chunks")) == len(FAKE_LLM_WORDS)  # piece by piece
    expect(page.locator(".message.user .body")).to_have_text("hi there")
    assert re.search(r"thread=[\w-]{16,}", page.url)
    assert page.errors == []


def test_a_click_runs_the_callback_and_the_buttons_go(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "confirmation_bot")
    say(page, box, "delete my data")
    confirm = page.get_by_role("button", name="Confirm Deletion")
    expect(confirm).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    confirm.click()
    expect(page.locator(".message.assistant").last).to_contain_text("deleting")
    expect(page.locator("button.choice")).to_have_count(0)


def test_reload_shows_the_same_conversation(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "confirmation_bot")
    say(page, box, "delete my data")
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    url = page.url
    page.reload()
    assert page.url == url
    bodies = page.locator(".message .body")
    expect(bodies).to_have_text(["delete my data", re.compile("Are you sure")])
    page.get_by_role("button", name="Cancel").click()  # the live buttons survived the reload
    expect(page.locator(".message.assistant").last).to_contain_text(re.compile("cancel", re.IGNORECASE))


def test_a_confirmation_question_is_answered_in_a_dialog(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "tasks")
    say(page, box, "close my account")
    dialog = page.get_by_role("dialog", name="Close your account?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone.")
    expect(dialog).to_contain_text(re.compile(r"Time left to answer: \d+ s"))
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.locator(".message.assistant .body").last).to_have_text("Your account is closed.")


def test_an_input_question_from_a_message_action(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "append_note")
    say(page, box, "hello")
    action = page.get_by_role("toolbar", name="Message actions").get_by_role(
        "button", name="Append note")
    expect(action).to_be_visible()
    action.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("textbox").fill("remember the milk")
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator(".messages")).to_contain_text("remember the milk")


def test_progress_of_a_long_action(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "tasks")
    say(page, box, "export my report")
    status = page.locator(".message.assistant .status")
    expect(status).to_contain_text(re.compile(r"Exporting part \d of 3"))
    expect(status).to_have_text("Export finished")
    expect(page.locator(".message.assistant").last.locator(".body")).to_have_text(
        "Your report is ready.")
    expect(page.get_by_role("list", name="Sources")).to_contain_text("sales-2026.csv")
    expect(page.locator(".toast")).to_contain_text("Report ready")


def test_markup_in_messages_shows_as_text(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "tasks")
    attack = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    say(page, box, attack)
    expect(page.locator(".message.assistant .body")).to_have_text(f"You wrote: {attack}")
    expect(page.locator(".message.user .body")).to_have_text(attack)
    assert page.locator(".messages img, .messages script").count() == 0
    assert page.title() != "pwned"


def test_the_why_panel_lists_the_rails_of_the_turn(page, serve, configs):
    server = serve(configs)
    box = open_chat(page, server, "store_support")
    say(page, box, "where is my order JP-1001?")
    expect(page.locator(".message.assistant .body")).to_contain_text("JP-1001")
    panel = page.get_by_role("complementary", name="Why")
    expect(panel).to_contain_text("Turn 1")
    rails = panel.get_by_role("listitem")
    expect(rails.first).to_be_visible()
    names = panel.locator(".row.rail .label").all_inner_texts()
    assert any("block abusive language" in name for name in names), names
    expect(panel.locator(".row.action")).not_to_have_count(0)
    say(page, box, "you are useless, idiot")
    expect(panel).to_contain_text("Turn 2")
    expect(panel.locator(".row.rail.blocked")).to_have_count(1)
    page.get_by_role("button", name=re.compile("Show why")).first.click()
    expect(panel).to_contain_text("Turn 1")


def test_a_token_protected_server_asks_for_the_token(page, serve, configs):
    server = serve(configs, "--token", "s3cret-token")
    assert httpx.get(f"{server.base_url}/v1/rails/configs").status_code == 401
    page.goto(f"{server.base_url}/?config=tasks")
    dialog = page.get_by_role("dialog", name="This server needs a token")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Token").fill("s3cret-token")
    dialog.get_by_role("button", name="Use token").click()
    expect(page.get_by_label("Config")).to_have_value("tasks")
    say(page, page.get_by_role("textbox", name="Message"), "hello")
    expect(page.locator(".message.assistant .body")).to_have_text("You wrote: hello")


def test_headers_and_the_switch_to_turn_the_page_off(serve, configs):
    server = serve(configs)
    page = httpx.get(server.base_url + "/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    script = re.search(r'<script type="module">(.*?)</script>', page.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy  # only the page's own script runs
    assert 'src="ui/js/' not in page.text  # one script: no module request before the code runs
    module = httpx.get(server.base_url + "/ui/js/main.js")  # the sources stay readable
    assert module.headers["content-type"].startswith("text/javascript")
    assert httpx.get(server.base_url + "/ui/../app.py").status_code == 404
    off = serve(configs, "--disable-chat-ui")
    assert httpx.get(off.base_url + "/").status_code == 404


def test_the_inlined_stylesheet_applies_under_the_policy(page, serve, configs):
    server = serve(configs)
    served = httpx.get(server.base_url + "/")
    assert 'rel="stylesheet"' not in served.text  # no request holds the first paint
    style = re.search(r"<style>(.*?)</style>", served.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = served.headers["content-security-policy"]
    assert f"style-src 'self' 'sha256-{digest}';" in policy and "unsafe-inline" not in policy
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{server.base_url}/?config=tasks")
    expect(page.get_by_label("Config")).to_have_value("tasks")
    expect(page.locator("body")).to_have_css("display", "flex")  # the page's own rules apply
    expect(page.locator("header.top")).to_have_css("background-color", "rgb(255, 255, 255)")
    assert refused == [] and page.errors == []
