"""``python -m cnncalc``."""

from cnncalc.cli.app import run

run()
