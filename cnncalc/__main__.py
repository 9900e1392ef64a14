"""``python -m cnncalc``."""

from .cli import run

run()
