"""The permissions matrix on Discord, through the real discord.py and the fake Discord."""
