"""The shared kernel: errors, dependencies, payloads, tokens, the HTTP and socket input
readers, log-in sessions, the audit log. Imports nothing else of consult."""
