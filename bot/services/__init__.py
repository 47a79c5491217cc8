"""The use cases, one service per job on the lead's path (receive, qualify, deliver, claims,
rubric admin). Each takes the unit of work and the gateways it needs; `bot.bootstrap`
builds them, listeners and CLI commands call them."""
