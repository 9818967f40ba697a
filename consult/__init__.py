"""The conversation domain: visitors, conversations, messages, operators, routing, hot replies."""
