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
    (['He said "hi"'], 'He said "hi"'),
    (['He said "hi"\n', "and more"], 'He said "hi"'),
])
async def test_filtered_stream(tokens, expected):
    assert await run(tokens) == expected


async def test_general_answers_keep_lines_after_quotes():
    out = []

    async def sink(text):
        out.append(text)

    token_filter = MessageTokenFilter(sink, prefixes=('"',), stop_at_line_end_quote=False)
    for token in [' "Line one "quoted"', "\nline two", '"']:
        await token_filter(token)
    await token_filter.flush()
    assert "".join(out) == 'Line one "quoted"\nline two'


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rails.llm.output_parsers import verbose_v1_parser  # noqa: E402
from rails.llm.text import multiline_response, strip_quotes  # noqa: E402

WORDS = st.text(alphabet="abcxyz ,.!?'-", min_size=1, max_size=40).filter(
    lambda text: text.strip())


def split_at(text, cuts):
    points = sorted({c % (len(text) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points + [len(text)]:
        pieces.append(text[last:point])
        last = point
    return [piece for piece in pieces if piece]


@settings(max_examples=150, deadline=None)
@given(words=WORDS, form=st.sampled_from(['Bot message: "{}"', '"{}"', '  "{}"\nuser "x"', "{}"]),
       cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=6))
async def test_streamed_text_matches_the_final_bot_message(words, form, cuts):
    completion = form.format(words)
    final = strip_quotes(multiline_response(verbose_v1_parser(completion)))
    assert (await run(split_at(completion, cuts))).strip() == final.strip()


@settings(max_examples=100, deadline=None)
@given(words=WORDS, form=st.sampled_from(['"{}"', "{}", ' "{}" ', "{}\nsecond line"]),
       cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=6))
async def test_streamed_text_matches_the_final_general_answer(words, form, cuts):
    completion = form.format(words)
    final = completion.strip()
    if final.startswith('"'):
        final = final[1:-1]
    out = []

    async def sink(text):
        out.append(text)

    token_filter = MessageTokenFilter(sink, prefixes=('"',), stop_at_line_end_quote=False)
    for piece in split_at(completion, cuts):
        await token_filter(piece)
    await token_filter.flush()
    assert "".join(out).strip() == final.strip()
