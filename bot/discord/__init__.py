"""The Discord adapter: the discord.py bot, its notifier, access checks and views. The cogs live in `cogs/`."""
