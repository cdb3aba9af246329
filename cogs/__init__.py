"""discord.py cogs: each translates between Discord and the platform-neutral moderation core."""
