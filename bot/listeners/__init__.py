"""Slack listeners, one module per surface, each with `register(app, services)`.

Listeners stay thin: parse the payload (bot.listeners.payloads), call the pipeline,
render with bot.blocks. Anything slow or that talks to Slack runs after the ack: in the
durable worker (via the pipeline) or, for views that need the trigger id, a lazy listener.
"""
