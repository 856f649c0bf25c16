"""The usage-only log a server asks for carries the same model-call figures and errors as the
whole log."""
from __future__ import annotations

from rails.generation_log import build_generation_log, build_usage_log
from rails.options import LLMCallInfo
from rails.runtime import ActionRecord, TurnLog

USAGE_FIELDS = ("llm_calls_count", "llm_calls_duration", "llm_calls_total_prompt_tokens",
                "llm_calls_total_completion_tokens", "llm_calls_total_tokens",
                "total_duration")


def test_usage_log_matches_the_whole_logs_figures():
    log = TurnLog()
    log.event({"type": "UserMessage", "text": "hi"})
    log.step("generate user intent", [{"type": "StartInternalSystemAction",
                                       "action_name": "generate_user_intent"}])
    log.action(ActionRecord("generate_user_intent", {}, started_at=1.0, finished_at=1.5,
                            llm_calls=[{"task": "generate_user_intent", "duration": 0.4,
                                        "prompt_tokens": 30, "completion_tokens": 4,
                                        "total_tokens": 34}]))
    log.action(ActionRecord("generate_bot_message", {}, started_at=1.5, finished_at=2.0,
                            llm_calls=[LLMCallInfo(task="general", duration=0.3,
                                                   prompt_tokens=20, completion_tokens=9,
                                                   total_tokens=29)]))
    log.action(ActionRecord("create_event", {}, started_at=2.0, finished_at=2.0))
    log.errors.append(RuntimeError("the model answered nonsense"))
    log.event({"type": "Listen"})

    whole, usage = build_generation_log(log), build_usage_log(log)
    for name in USAGE_FIELDS:
        assert getattr(usage.stats, name) == getattr(whole.stats, name), name
    assert usage.stats.llm_calls_total_tokens == 63
    assert [e.message for e in usage.errors] == ["the model answered nonsense"]
    assert usage.activated_rails == []  # the part the server never returns is not built
