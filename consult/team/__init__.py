"""Operators: accounts, status and capacity, hot replies."""
