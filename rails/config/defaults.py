"""Values a config gets when it does not set them (spec §5.2 "Defaults after loading")."""
from __future__ import annotations

DEFAULT_GENERAL_INSTRUCTIONS = (
    "The following is a conversation between a user and a friendly, knowledgeable AI "
    "assistant. The assistant answers in natural, conversational language and gives concrete, "
    "detailed answers when it can. When the assistant does not know something, it says so "
    "plainly instead of guessing."
)

# Five turns in Colang history format (spec §6.4): quoted user text, the user intent indented,
# the bot intent, the bot text indented.
DEFAULT_SAMPLE_CONVERSATION = '''user "Hi!"
  express greeting
bot express greeting
  "Hi there! What can I do for you today?"
user "What kinds of things can you help with?"
  ask about capabilities
bot respond about capabilities
  "I can answer questions, explain topics step by step, help you draft or edit text, and suggest ideas when you are stuck."
user "How does a rainbow form?"
  ask general question
bot response for general question
  "A rainbow appears when sunlight enters raindrops, bends, reflects off the back of each drop and bends again on the way out. Each colour bends by a slightly different angle, so the light spreads into a band of colours."
user "Go on"
  request more information
bot provide more information
  "The sun has to be behind you and fairly low in the sky. Sometimes a fainter second rainbow shows up above the first one, with its colours in reverse order, because the light reflected twice inside the drops."
user "Great, thank you"
  express appreciation
bot express appreciation and offer additional help
  "Glad I could help! Let me know if there is anything else you would like to know."
'''

DEFAULT_PROMPTING_MODE = "standard"
DEFAULT_LOWEST_TEMPERATURE = 0.001
SUPPORTED_COLANG_VERSIONS = ("1.0",)
