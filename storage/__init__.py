"""Storage: models, engine, session factory and migrations; it imports nothing of ours."""
