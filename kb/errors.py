"""Errors that end a command with a message instead of a traceback (exit code 2)."""


class KbError(Exception):
    """Bad usage or unusable input: the message says what was expected and what was found."""
