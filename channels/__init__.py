"""Outbound transports: Telegram, Viber, SMS (issue 4)."""
