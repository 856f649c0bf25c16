"""Import paths of NeMo Guardrails (`nemoguardrails.rails...`) kept working after the rename."""
