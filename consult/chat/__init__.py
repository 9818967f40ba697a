"""Conversations: intake of messages, routing, the queue and its places, availability,
receipts, the pushes after a commit."""
