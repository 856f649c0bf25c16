"""The built-in task prompts, as YAML data files (a package so the files ship in the wheel)."""
