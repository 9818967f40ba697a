"""Telegram and Viber bots and offer delivery (issue 4)."""
