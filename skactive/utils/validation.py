"""Argument checks shared by the learner, the strategies and the capabilities."""

from numbers import Integral

__all__ = ["check_positive_int"]


def check_positive_int(value, name, *, allow_none=False):
    """``value`` as an int, or a clear error naming ``name``.

    Parameters
    ----------
    value : object
        The argument.
    name : str
        Its name, for the message.
    allow_none : bool, default=False
        Whether None is accepted (and returned).

    Returns
    -------
    value : int or None

    Examples
    --------
    >>> check_positive_int(3, "batch_size")
    3
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise TypeError(
            f"{name} must be {expected}, got {value!r} of type {type(value).__name__}."
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}.")
    return int(value)
