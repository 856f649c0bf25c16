"""MessageTokenFilter: only the bot's words reach the stream, however the tokens are split."""
from __future__ import annotations

import pytest

from rails.llm.stream_filter import MessageTokenFilter


async def run(tokens):
    out = []

    async def sink(text):
        out.append(text)

    token_filter = MessageTokenFilter(sink)
    for token in tokens:
        await token_filter(token)
    await token_filter.flush()
    return "".join(out)


@pytest.mark.parametrize("tokens, expected", [
    (['Bot message: "Hello there!"'], "Hello there!"),
    (["Bot", " mess", 'age: "', "Hel", "lo", '"'], "Hello"),
    (["  ", '"', "Quoted", " text", '"', "\n", "user", ' "next"'], "Quoted text"),
    (["Plain", " answer"], "Plain answer"),
    (['bot message: "lower', ' case"'], "lower case"),
    (['Bot message: "He said "', "hi", '" twice"'], 'He said "hi" twice'),
    (["Bot"], "Bot"),
])
async def test_filtered_stream(tokens, expected):
    assert await run(tokens) == expected
