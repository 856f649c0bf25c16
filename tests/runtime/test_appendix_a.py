"""The annotated trace of spec Appendix A, event for event."""
from __future__ import annotations


def test_two_bot_steps_produce_the_reference_event_sequence(app_factory):
    colang = '''
define user ask order status
  "where is my order?"

define flow order status
  user ask order status
  bot acknowledge request
  bot report order status
'''
    app, _ = app_factory(colang, responses=["  ask order status", 'Bot message: "On it."',
                                            'Bot message: "It shipped."'])
    events = app.generate_events([{"type": "UtteranceUserActionFinished",
                                   "final_transcript": "where is my order?"}])

    def label(event):
        kind = event["type"]
        if kind in ("StartInternalSystemAction", "InternalSystemActionFinished"):
            return f"{kind}:{event['action_name']}"
        if kind in ("UserIntent", "BotIntent"):
            return f"{kind}:{event['intent']}"
        return kind

    generation = ["BotIntent:{}", "StartInternalSystemAction:retrieve_relevant_chunks",
                  "ContextUpdate", "InternalSystemActionFinished:retrieve_relevant_chunks",
                  "StartInternalSystemAction:generate_bot_message",
                  "InternalSystemActionFinished:generate_bot_message", "BotMessage",
                  "ContextUpdate", "StartInternalSystemAction:create_event",
                  "InternalSystemActionFinished:create_event", "StartUtteranceBotAction"]
    expected = (["ContextUpdate", "StartInternalSystemAction:create_event",
                 "InternalSystemActionFinished:create_event", "UserMessage",
                 "StartInternalSystemAction:generate_user_intent",
                 "InternalSystemActionFinished:generate_user_intent",
                 "UserIntent:ask order status"]
                + [step.format("acknowledge request") for step in generation]
                + [step.format("report order status") for step in generation]
                + ["Listen"])
    labels = [label(e) for e in events]
    # The relevant-chunks ContextUpdate appears once (the value changes once: "" -> "\n").
    assert ([x for x in labels if x != "ContextUpdate"]
            == [x for x in expected if x != "ContextUpdate"])
    scripts = [e["script"] for e in events if e["type"] == "StartUtteranceBotAction"]
    assert scripts == ["On it.", "It shipped."]
