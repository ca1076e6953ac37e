"""Pure helpers under everything else: model inputs (rows, chunks, tensors),
ranking with random ties, seeds, argument checks, and the one door to
scikit-learn's private API (``_compat``)."""

__all__ = []
