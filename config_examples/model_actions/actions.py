"""Actions with metadata the model reads, and permissions the engine enforces."""
import re

from rails.actions import action

FARES = {"oslo": 129, "rome": 89, "lima": 640}


@action(description="Current weather for a city", read_only=True, idempotent=True)
async def get_weather(city: str):
    return {"city": city, "sky": "sunny", "celsius": 21}


@action(description="The cheapest fare to a city, in euros", read_only=True,
        similes=["PRICE", "FARE"],
        examples=[[{"name": "{{user1}}", "content": {"text": "how much is a flight to Rome?"}},
                   {"name": "{{agent}}", "content": {"text": "Let me look it up.",
                                                     "actions": ["find_fare"]}}]])
async def find_fare(city: str):
    fare = FARES.get(city.lower())
    return {"city": city, "fare_eur": fare} if fare else {"city": city, "error": "no fare"}


# Changes data: offered to the model only because `callers` names it, and (destructive by
# MCP's default) the user confirms before it runs.
@action(description="Books the cheapest flight to a city for the user", callers=["model"],
        validate="$user is not None and $user.id is not None")
async def book_flight(city: str, context=None):
    return {"booked": city, "for": (context.get("user") or {}).get("id")}


# Staff only, and never chosen by the model (not read-only, `callers` leaves it out).
@action(description="Cancels every booking of a customer", roles=["staff"])
async def cancel_all_bookings(customer: str):
    return f"cancelled the bookings of {customer}"


@action()
def no_card_numbers(tool_arguments=None):
    """A tool-call rail: no card numbers in any action's arguments."""
    return not re.search(r"\b(?:\d[ -]?){13,16}\b", str(tool_arguments or ""))
