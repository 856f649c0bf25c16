"""Self-check rails: the main model judges the user's input, the bot's output, its facts and
its consistency, using the prompts of the tasks `self_check_input`, `self_check_output`,
`self_check_facts` and `self_check_hallucination`."""
