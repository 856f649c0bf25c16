"""The seed's Chainlit code, ported: `import chainlit as cl` became `import rails.actions as cl`
and `@cl.on_message` became an action the `delete data` flow executes."""
import rails.actions as cl


@cl.action()
async def ask_delete_confirmation():
    # 1. Create the Action buttons
    confirm_action = cl.Action(
        name="confirm_delete",  # Must match the decorator name
        label="Confirm Deletion",
        payload={"user_id": "user123", "file": "important_data.txt"},  # Example data
    )
    cancel_action = cl.Action(
        name="cancel_delete",  # Must match the decorator name
        label="Cancel",
    )

    # 2. Send the message with the actions attached
    await cl.Message(
        content="Are you sure you want to delete your data?",
        actions=[confirm_action, cancel_action],
    ).send()


# 3. Define the callback for the 'confirm_delete' action
@cl.action_callback("confirm_delete")
async def on_confirm(action: cl.Action):
    # Access payload data sent with the action
    user_id = action.payload.get("user_id", "unknown user")
    file = action.payload.get("file", "some data")

    await cl.Message(
        content=f"Okay, deleting '{file}' for {user_id}... (Not really!)"
    ).send()
    await action.remove_all()  # both buttons of the message go away


# 4. Define the callback for the 'cancel_delete' action
@cl.action_callback("cancel_delete")
async def on_cancel(action: cl.Action):
    await cl.Message(content="Deletion cancelled.").send()
    await action.remove_all()
