"""The error a malformed dataset raises: it names the file and what is wrong with it."""

from sapiens2.errors import UserError


class DatasetError(UserError):
    """A dataset the trainer cannot read (missing file, bad JSON, inconsistent keypoint count, ...)."""
