"""nudgebot: policy-driven moderation for student-group chats on Discord and Slack."""

__version__ = "0.1.0"
