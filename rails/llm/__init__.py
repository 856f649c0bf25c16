"""The LLM layer. Nothing heavy is imported here; import the module you need:

- `rails.llm.taskmanager.LLMTaskManager`: picks a task's prompt, renders it in a Jinja
  sandbox, parses the answer (`register_filter`, `register_output_parser`,
  `register_prompt_context`).
- `rails.llm.call.llm_call`: one model call (LangChain LLM or chat model, or the built-in
  engine), recorded in the turn's `LLMCallLog`, streamed to `streaming_handler`.
- `rails.llm.params.llm_params`: temporary call settings for a model (NeMo's context manager).
- `rails.llm.models.create_llm` / `rails.llm.openai_engine.OpenAICompatibleModel`: models
  from `config.models`.
- `rails.llm.generation.LLMGenerationActions`: the generation actions the core flows call.
- `rails.llm.filters`, `rails.llm.output_parsers`, `rails.llm.history`: the template filters,
  answer parsers and the Colang history format; `rails.llm.types.Task`: the task names.
- `rails/llm/prompts/*.yml`: the built-in prompts (a config's prompts.yml overrides them).
"""
