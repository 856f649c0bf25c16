"""Shared data for the index tests: a realistic customer-support intent set."""
from __future__ import annotations

import pytest

INTENT_EXAMPLES: dict[str, list[str]] = {
    "express greeting": ["hello", "hi there", "good morning", "hey, how are you?"],
    "express thanks": ["thanks a lot", "thank you so much", "great, thanks for the help"],
    "say goodbye": ["bye", "see you later", "goodbye, have a nice day"],
    "ask order status": ["where is my order", "has my order shipped yet?",
                         "track my package", "when will my delivery arrive"],
    "ask return policy": ["how do I return an item", "can I send back the shoes I bought",
                          "what is your return policy"],
    "request refund": ["I want my money back", "please refund my purchase",
                       "how long does a refund take"],
    "cancel order": ["cancel my order", "I changed my mind, stop the order",
                     "how can I cancel a purchase"],
    "ask opening hours": ["what time do you open", "are you open on sunday",
                          "what are your opening hours"],
    "ask store location": ["where is the nearest store", "address of your shop",
                           "is there a store in Berlin"],
    "ask shipping cost": ["how much is shipping", "do you offer free delivery",
                          "what does express shipping cost"],
    "ask payment methods": ["can I pay with paypal", "which credit cards do you accept",
                            "do you take apple pay"],
    "report damaged item": ["the item arrived broken", "my package was damaged",
                            "the screen is cracked on arrival"],
    "change address": ["I need to change my delivery address", "update my shipping address",
                       "I moved, new address please"],
    "ask about warranty": ["is this covered by warranty", "how long is the guarantee",
                           "warranty for laptops"],
    "reset password": ["I forgot my password", "reset my password",
                       "can't log in to my account"],
    "talk to human": ["I want to speak to a person", "connect me to an agent",
                      "is there a real human I can talk to"],
    "ask capabilities": ["what can you do", "how can you help me", "what are you able to do"],
}


@pytest.fixture
def intent_items():
    from rails.index import IndexItem

    return [IndexItem(text=example, meta={"intent": intent})
            for intent, examples in INTENT_EXAMPLES.items() for example in examples]
