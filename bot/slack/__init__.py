"""Slack-side helpers that need no Slack library: payload translation, Block Kit rendering, command parsing.

The Bolt app itself (listeners, Web API calls, Socket Mode and HTTP runners) lives in `bot/slack_app.py`.
"""
