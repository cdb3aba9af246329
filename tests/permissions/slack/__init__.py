"""The permissions matrix on Slack, through the real slack-bolt and the fake Slack."""
