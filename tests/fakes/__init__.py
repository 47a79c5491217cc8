"""Local stand-ins for Slack and OpenAI so tests never leave 127.0.0.1."""
