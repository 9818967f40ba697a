"""Visitors: visits, pages, context, identity, carts and purchases."""
