"""Secrets and privacy: no token or message content in logs or errors, and nudges that never repeat the words."""
