"""The Slack adapter: the Bolt app, its notifier, access checks, listeners, payload translation and Block Kit."""
