"""Telegram and Viber bots and offer delivery."""
