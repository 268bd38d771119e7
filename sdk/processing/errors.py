"""The one error type the processing layer raises for bad user input."""

from ..errors import UserError


class InputError(UserError, ValueError):
    """An image, video or camera could not be used; the message names the input and what to do."""


class ModelOutputError(UserError):
    """The model's outputs cannot be turned into a result (NaN/inf): the weights or precision are at fault."""
