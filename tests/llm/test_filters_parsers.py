"""Filters (spec §6.3), output parsers (§6.5) and the Colang history (§6.4), golden strings."""
from __future__ import annotations

import pytest

from rails.events import new_event_dict
from rails.llm import filters
from rails.llm.history import HIDDEN_TEXT_PLACEHOLDER, get_colang_history
from rails.llm.output_parsers import (bot_intent_parser, bot_message_parser, is_content_safe,
                                      user_intent_parser, verbose_v1_parser)

HISTORY = ('user "can I return shoes?"\n  ask about returns\nbot explain return policy\n'
           '  "Yes, within 30 days."\nuser "thanks"\n  express thanks\nbot say welcome\n')


def turn_events():
    return [
        new_event_dict("UtteranceUserActionFinished", final_transcript="can I return shoes?",
                       is_success=True),
        new_event_dict("UserMessage", text="can I return shoes?"),
        new_event_dict("UserIntent", intent="ask about returns"),
        new_event_dict("BotIntent", intent="explain return policy", instructions="old"),
        new_event_dict("StartUtteranceBotAction", script="Yes, within 30 days."),
        new_event_dict("StartInternalSystemAction", action_name="lookup", is_system_action=False),
        new_event_dict("InternalSystemActionFinished", action_name="lookup",
                       is_system_action=False, return_value="a\nb", is_success=True),
        new_event_dict("StartInternalSystemAction", action_name="create_event",
                       is_system_action=True),
        new_event_dict("UserMessage", text="thanks"),
        new_event_dict("UserIntent", intent="express thanks"),
        new_event_dict("BotIntent", intent="say welcome", instructions="be brief"),
    ]


def test_colang_history_golden():
    assert get_colang_history(turn_events()) == (
        'user "can I return shoes?"\n  ask about returns\nbot explain return policy\n'
        '  "Yes, within 30 days."\nexecute lookup\n# The result was a b\n'
        'user "thanks"\n  express thanks\n# be brief\nbot say welcome\n')
    assert get_colang_history([]) == ""


def test_history_without_texts_uses_user_intent_lines():
    history = get_colang_history(turn_events()[:5], include_texts=False)
    assert history == "user ask about returns\n# old\nbot explain return policy\n"


def test_mask_prev_user_message_hides_the_latest_user_text():
    events = [new_event_dict("UserMessage", text="secret plan"),
              new_event_dict("UserIntent", intent="ask"),
              new_event_dict("mask_prev_user_message", intent="unanswerable message")]
    history = get_colang_history(events)
    assert "secret plan" not in history
    assert history == f'user "{HIDDEN_TEXT_PLACEHOLDER}"\n  ask\n'


def test_verbose_v1_golden():
    assert filters.verbose_v1(HISTORY) == (
        'User message: "can I return shoes?"\nUser intent: ask about returns\n'
        'Bot intent: explain return policy\nBot message: "Yes, within 30 days."\n'
        'User message: "thanks"\nUser intent: express thanks\nBot intent: say welcome\n')


def test_remove_text_messages_keeps_intents_only():
    assert filters.remove_text_messages(HISTORY) == (
        "user ask about returns\nbot explain return policy\nuser express thanks\n"
        "bot say welcome\n")


def test_first_and_last_turns():
    assert filters.first_turns(HISTORY, 1) == (
        'user "can I return shoes?"\n  ask about returns\nbot explain return policy\n'
        '  "Yes, within 30 days."')
    assert filters.last_turns(HISTORY, 1) == 'user "thanks"\n  express thanks\nbot say welcome\n'
    assert filters.first_turns(HISTORY, 5) == HISTORY


def test_to_messages_groups_bot_lines_and_marks_the_open_last_group():
    assert filters.to_messages(HISTORY) == [
        {"type": "user", "content": "can I return shoes?"},
        {"type": "assistant", "content": "User intent: ask about returns\n"
         "Bot intent: explain return policy\nBot message: \"Yes, within 30 days.\""},
        {"type": "user", "content": "thanks"},
        {"type": "assistant", "content": "User intent: express thanks\nBot intent: say welcome"},
    ]
    open_group = filters.to_messages('user "hi"\n  greet\nbot greet')
    assert open_group[-1] == {"type": "bot", "content": "User intent: greet\nBot intent: greet"}


def test_intent_message_variants():
    assert filters.to_intent_messages(HISTORY) == [
        {"type": "user", "content": "User intent: ask about returns"},
        {"type": "assistant", "content": "Bot intent: explain return policy"},
        {"type": "user", "content": "User intent: express thanks"},
        {"type": "assistant", "content": "Bot intent: say welcome"},
    ]
    assert filters.to_intent_messages_2(HISTORY)[:3] == [
        {"type": "user", "content": "can I return shoes?"},
        {"type": "assistant", "content": "Bot intent: explain return policy"},
        {"type": "assistant", "content": 'Bot message: "Yes, within 30 days."'},
    ]


def test_event_based_filters():
    events = turn_events()
    assert filters.user_assistant_sequence(events) == (
        "User: can I return shoes?\nAssistant: Yes, within 30 days.\nUser: thanks")
    assert filters.to_chat_messages(events) == [
        {"type": "user", "content": "can I return shoes?"},
        {"type": "assistant", "content": "Yes, within 30 days."},
        {"type": "user", "content": "thanks"}]
    assert filters.user_assistant_sequence_nemollm(events).startswith(
        "<extra_id_1>User\ncan I return shoes?\n<extra_id_1>Assistant\n")
    assert "bot intent: " not in filters.colang_without_identifiers(events)


def test_indent_and_nemollm_messages():
    assert filters.indent("a\nb", 2) == "  a\n  b"
    assert filters.to_messages_nemollm('user "hi"\n# note\n  greet\n') == (
        "<extra_id_1>User\nhi\n<extra_id_1>Assistant\n# note\nUser intent: greet\n")


def test_colang_2_filters_fail_clearly():
    with pytest.raises(ValueError, match="Colang 2.x"):
        filters.BUILTIN_FILTERS["co_v2"]([])


def test_intent_and_message_parsers():
    assert user_intent_parser("  User intent: ask about returns ") == "  ask about returns"
    assert bot_intent_parser("Bot intent: greet") == "bot greet"
    assert bot_message_parser('Bot message: "Hi"') == '  "Hi"'
    assert bot_message_parser("plain") == "plain"


def test_verbose_v1_parser_golden():
    completion = (' User intent: greet\nbot intent: greet back\nBot message: "Hello!"\n'
                  'User message: "x"')
    assert verbose_v1_parser(completion) == '  greet\nbot greet back\n  "Hello!"\nuser "x"'


@pytest.mark.parametrize("answer, expected", [
    ("safe", (True, [])),
    ("Safe.", (True, [])),
    ("unsafe S1, S2", (False, ["s1", "s2"])),
    ("Yes", (False, [])),
    ("yes, block it", (False, [])),
    ("No", (True, [])),
    ("No.", (True, [])),
    ("I think so", (False, [])),
    ("", (False, [])),
])
def test_is_content_safe(answer, expected):
    assert is_content_safe(answer) == expected
