"""Prilavok's composition root: settings, the app factory and the command-line tool."""
