"""In-process fakes of the services Prilavok talks to, speaking their real wire formats."""
