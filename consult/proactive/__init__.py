"""Proactive help: rules and the decision to invite."""
