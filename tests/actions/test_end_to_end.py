"""The remote_actions config example through LLMRails, with its actions on a real actions
server subprocess (no model: intents are matched on the examples)."""
from __future__ import annotations

import asyncio
import logging

import pytest

from rails import LLMRails, RailsConfig

FALLBACK = "Sorry, the order system is not reachable right now. Please try again."


@pytest.fixture(scope="module")
def example_dir(request):
    return request.config.rootpath / "config_examples" / "remote_actions"


@pytest.fixture(scope="module")
def order_server(example_dir, launch_actions_server):
    server = launch_actions_server(config=example_dir / "server_actions")
    yield server
    server.stop()


def rails_for(example_dir, url: str, token: str) -> LLMRails:
    config = RailsConfig.from_path(str(example_dir))
    config.actions_server_url = url
    config.actions_server.token = token
    return LLMRails(config)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


async def test_remote_results_reach_the_bot_message(example_dir, order_server):
    app = rails_for(example_dir, order_server.url, order_server.token)
    answer = await app.generate_async(messages=[user("where is my order 1234?")])
    assert answer == {"role": "assistant", "content": "Order 1234 is shipped on Monday."}
    # A positional argument, bound on the server to the action's first parameter.
    answer = await app.generate_async(messages=[user("when are you open?")])
    assert answer["content"] == "We are open 9:00-18:00 on weekdays."


async def test_server_down_gives_the_fallback_and_the_next_turn_works(
        example_dir, server_factory, unused_port, caplog, actions_token):
    app = rails_for(example_dir, f"http://127.0.0.1:{unused_port}", actions_token)
    first = [user("track order 7")]
    with caplog.at_level(logging.ERROR):
        answer = await app.generate_async(messages=first)
    assert answer["content"] == FALLBACK
    [error] = app.explain().errors
    assert error.type == "RemoteActionError"
    assert f"127.0.0.1:{unused_port}/v1/actions/run" in error.message
    assert "cannot connect" in error.message
    assert "order_status" in caplog.text

    server_factory(config=example_dir / "server_actions", port=unused_port)
    history = first + [answer, user("where is my order 42?")]
    answer = await app.generate_async(messages=history)
    assert answer["content"] == "Order 42 is out for delivery."


async def test_fifty_concurrent_conversations_do_not_mix_up(example_dir, order_server):
    app = rails_for(example_dir, order_server.url, order_server.token)
    numbers = [5000 + i for i in range(50)]
    answers = await asyncio.gather(*(
        app.generate_async(messages=[user(f"where is my order {n}?")]) for n in numbers))
    assert [a["content"] for a in answers] == [f"Order {n} is not found." for n in numbers]
