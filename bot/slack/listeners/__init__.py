"""Slack listeners, one module per surface, each with `register(app, services)`.

Listeners stay thin: parse the payload (`bot.slack.payloads`), call a service, answer.
Anything slow or that talks to Slack runs after the ack: in the durable worker (the service
queues it) or, for views that need the trigger id, a lazy listener.
"""
