"""Hand-off: what leadbot tells the world outside Slack about a lead (signed events to
LEADBOT_EVENTS_URL, HubSpot), queued with the move that calls for it and sent by the worker."""
