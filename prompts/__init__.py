"""The LLM prompt templates, installed as the package `qualifiers.prompts` (see setup.py)."""
