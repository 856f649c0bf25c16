"""The LLM layer: prompts as data, template filters, output parsers, model calls and the
generation actions. Nothing heavy is imported here; import the submodules you need."""
