"""Actions with metadata and permissions, served over MCP by the MCP tests."""
from rails.actions import action


@action(description="Current weather for a city", read_only=True, similes=["FORECAST"],
        idempotent=True, open_world=True)
async def get_weather(city: str, unit: str = "celsius"):
    return {"city": city, "temperature": 21, "unit": unit}


@action(description="Deletes a file", destructive=True)
def delete_file(path: str):
    return f"deleted {path}"


@action(description="Internal report for admins", read_only=True, roles=["admin"])
async def admin_report():
    return "the secret figures"


@action(description="Only acme may run it", read_only=True, organisations=["acme"])
async def acme_only():
    return "acme data"


@action(description="Always fails", read_only=True)
async def broken(reason: str = "boom"):
    raise RuntimeError(reason)
