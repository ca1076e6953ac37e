"""Progress bars for long work, through tqdm (the ``progress`` extra)."""

__all__ = ["progress_bar"]


class _Silent:
    """A bar that shows nothing: what ``verbose=False`` gets."""

    def update(self, n=1):
        pass

    def close(self):
        pass


def progress_bar(total, desc, verbose):
    """A tqdm bar of ``total`` steps when ``verbose``, else one that shows nothing.

    Parameters
    ----------
    total : int
        Steps to the end.
    desc : str
        What the bar counts.
    verbose : bool or int
        Show the bar.

    Returns
    -------
    bar : object with ``update(n)`` and ``close()``

    Examples
    --------
    >>> bar = progress_bar(10, "labels", verbose=False)
    >>> bar.update(5)
    >>> bar.close()
    """
    if not verbose:
        return _Silent()
    try:
        from tqdm.auto import tqdm
    except ImportError as error:
        raise ImportError(
            "verbose=True shows a tqdm progress bar: pip install tqdm (or pip "
            "install 'skactive[progress]'), or pass verbose=False."
        ) from error
    return tqdm(total=total, desc=desc)
