"""Outbound transports: Telegram, Viber, SMS."""
