"""The `refactortrack` command line."""

from app.cli.root import app, main

__all__ = ["app", "main"]
