"""explain() and the turn's log after a stream checked by streaming output rails: the whole
turn, with every window check in order and what its rails decided, not only the last one."""
from __future__ import annotations

from rails import LLMRails
from rails.testing import FakeLLM
from tests.streaming.test_streaming_output_rails import ANSWER, build, collect, config, respond

LOG = {"log": {"activated_rails": True, "llm_calls": True}}


def safe_app(**kwargs):
    llm = FakeLLM(respond=lambda prompt: respond(prompt).replace("secret", "safe"))
    return LLMRails(config(**kwargs), llm=llm)


def summary(checks):
    return [(check.window, check.text, check.status, check.rail) for check in checks]


async def test_explain_lists_every_window_and_the_one_that_blocked():
    app, _ = build(stream_first=True, chunk_size=4, context_size=2)
    await collect(app)
    info = app.explain()
    assert summary(info.stream_checks) == [
        (1, "one two three four", "passed", None),
        (2, " three four five six seven secret", "blocked", "self check output")]
    assert all(check.sent_before_check for check in info.stream_checks)
    first, second = info.stream_checks
    assert [(rail.type, rail.name, rail.stop) for rail in first.activated_rails] == [
        ("output", "self check output", False)]
    assert second.activated_rails[0].stop and "stop" in second.activated_rails[0].decisions
    assert "execute self_check_output" in first.activated_rails[0].decisions
    # The streamed turn's own calls, then each window's check, in order.
    assert [call.task for call in info.llm_calls] == [
        "generate_user_intent", "generate_bot_message", "self_check_output",
        "self_check_output"]
    assert [call.prompt.split("? ", 1)[1] for call in info.llm_calls[2:]] == [
        check.text for check in info.stream_checks]
    # The turn's history is the conversation's, not that of a window check.
    assert info.colang_history.startswith('user "tell me"\n  ask\nbot answer freely')


async def test_checked_first_stream_shows_the_window_that_was_never_sent():
    app, _ = build(stream_first=False, chunk_size=4, context_size=0)
    chunks = await collect(app)
    assert "".join(chunks[:-1]) == "one two three four"
    checks = app.explain().stream_checks
    assert summary(checks) == [(1, "one two three four", "passed", None),
                               (2, " five six seven secret", "blocked", "self check output")]
    assert not any(check.sent_before_check for check in checks)


async def test_a_passing_stream_logs_all_windows_on_its_result():
    app = safe_app(chunk_size=3, context_size=0)
    results = []
    chunks = await collect(app, options=LOG, on_result=results.append)
    assert "".join(chunks) == ANSWER.replace("secret", "safe")
    log = results[0].log
    windows = ["one two three", " four five six", " seven safe eight", " nine"]
    assert [check.text for check in log.stream_checks] == windows
    assert {check.status for check in log.stream_checks} == {"passed"}
    # Like a whole turn's log: the output rails follow the turn's rails, one per window.
    kinds = [rail.type for rail in log.activated_rails]
    assert kinds[-4:] == ["output"] * 4 and "output" not in kinds[:-4]
    assert [call.task for call in log.llm_calls].count("self_check_output") == 4
    assert log.stats.llm_calls_count == len(log.llm_calls) == 6
    assert log.stats.output_rails_duration > 0
    assert summary(app.explain().stream_checks) == summary(log.stream_checks)


async def test_a_streamed_turn_explains_like_the_same_turn_not_streamed():
    app = safe_app(chunk_size=100, context_size=0)  # one window: the whole answer
    await collect(app)
    streamed = app.explain()
    app.generate(messages=[{"role": "user", "content": "tell me"}])
    whole = app.explain()
    assert [call.task for call in streamed.llm_calls] == [call.task for call in whole.llm_calls]
    assert streamed.colang_history == whole.colang_history
    assert whole.stream_checks == []  # a turn that did not stream has no window checks


async def test_a_failing_window_check_is_an_error_of_the_turn():
    app, _ = build(flows=["explode check"], stream_first=False)
    await collect(app)
    info = app.explain()
    assert summary(info.stream_checks) == [
        (1, "one two three four", "failed", "explode check")]
    assert any("moderation service down" in error.message for error in info.errors)


async def test_a_custom_generator_stream_is_explained_by_its_checks():
    app = safe_app(chunk_size=2, context_size=0)
    app.generate(messages=[{"role": "user", "content": "tell me"}])

    async def words():
        for word in ["alpha", " beta", " gamma"]:
            yield word

    chunks = [chunk async for chunk in app.stream_async(
        messages=[{"role": "user", "content": "hi"}], generator=words())]
    assert "".join(chunks) == "alpha beta gamma"
    info = app.explain()
    assert summary(info.stream_checks) == [(1, "alpha beta", "passed", None),
                                           (2, " gamma", "passed", None)]
    assert [call.task for call in info.llm_calls] == ["self_check_output"] * 2
