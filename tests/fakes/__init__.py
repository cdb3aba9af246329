"""Local stand-ins for Discord and Slack on 127.0.0.1 that the real client libraries connect to."""
