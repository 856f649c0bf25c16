"""LangChain: `RunnableRails`, a rails configuration as a Runnable."""
