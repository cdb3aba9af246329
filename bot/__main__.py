"""`python -m bot` runs the nudgebot command."""

import sys

from bot.cli import main

sys.exit(main())
