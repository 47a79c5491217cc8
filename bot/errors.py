"""Errors meant for a person: printed as one clear message, never as a traceback."""


class UserError(Exception):
    """Bad input or configuration, with a message that says what was expected."""


class ConfigurationError(Exception):
    """The settings and the rubric do not say where a summary goes."""
