"""A pool's identity: stable item ids and a fingerprint of every row.

Items are named by the user's ids, or by their row positions. Each row gets a
64-bit hash of its values (pandas' ``hash_pandas_object``, vectorised over rows),
so that reopening a session with a pool whose rows changed, moved or went
missing is an error that says which.
"""

import numpy as np

from skactive.utils.inputs import as_float_array, iter_row_chunks, n_rows, take_rows

__all__ = [
    "as_class",
    "describe_difference",
    "describe_row",
    "item_ids",
    "plain_label",
    "row_hashes",
]


def item_ids(X, ids):
    """The items' ids as strings: ``ids``, or the row positions."""
    n = n_rows(X)
    if ids is None:
        return np.arange(n).astype(str).astype(object)
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValueError(
            f"ids must hold one id per pool row: got shape {ids.shape} for {n} rows."
        )
    ids = ids.astype(str).astype(object)
    if np.unique(ids).shape[0] != n:
        raise ValueError("ids must be unique: some pool rows share an id.")
    return ids


def row_hashes(X):
    """A uint64 hash of each row's values (dtype and order of columns kept)."""
    import pandas as pd

    if hasattr(X, "iloc"):
        return pd.util.hash_pandas_object(X, index=False).to_numpy(np.uint64)
    parts = []
    for _, chunk in iter_row_chunks(X):
        dense = np.ascontiguousarray(as_float_array(chunk))
        frame = pd.DataFrame(dense.reshape(dense.shape[0], -1))
        parts.append(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    return np.concatenate(parts).astype(np.uint64) if parts else np.empty(0, np.uint64)


def describe_difference(stored_ids, stored_hashes, ids, hashes):
    """A sentence on how a pool differs from the stored one, or None if equal."""
    if stored_ids.shape[0] != ids.shape[0]:
        return (
            f"the session's pool has {stored_ids.shape[0]} rows, this one "
            f"{ids.shape[0]}"
        )
    if not np.array_equal(stored_ids, ids):
        moved = np.flatnonzero(stored_ids != ids)
        return f"the item ids differ at rows {_some(moved)}"
    if np.array_equal(stored_hashes, hashes):
        return None
    changed = np.flatnonzero(stored_hashes != hashes)
    if np.array_equal(np.sort(stored_hashes), np.sort(hashes)):
        return f"the same rows in another order (rows {_some(changed)} moved)"
    return f"the values of rows {_some(changed)} changed"


def _some(positions, shown=5):
    listed = ", ".join(str(int(p)) for p in positions[:shown])
    more = positions.shape[0] - shown
    return listed + (f" and {more} more" if more > 0 else "")


def plain_label(label):
    """A label as a JSON scalar (numpy scalars become Python ones)."""
    if isinstance(label, np.generic):
        label = label.item()
    if not isinstance(label, (str, int, float, bool)):
        raise TypeError(
            f"label must be a string, a number or a bool, got {type(label).__name__}."
        )
    return label


def _kind(value):
    """``"bool"``, ``"number"`` or ``"str"``: labels of one kind compare."""
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "str"


def as_class(label, classes, open_set=False):
    """``label`` as the class it names among ``classes`` (``1.0`` is the integer
    class ``1``), or a ValueError; ``open_set``: ``classes`` are examples of
    the labels' kind (the labels given so far), and a new class of that kind is
    taken as it is."""
    kinds = {_kind(c) for c in classes}
    if _kind(label) not in kinds:
        raise ValueError(
            f"label {label!r} is a {_kind(label)}, but the session's labels are "
            f"{' or '.join(sorted(kinds))}s ({list(classes)[:10]}): give the class "
            "itself."
        )
    for known in classes:
        if _kind(known) == _kind(label) and known == label:
            return known
    if open_set:
        integers = all(isinstance(c, int) for c in classes)
        if integers and isinstance(label, float) and label.is_integer():
            return int(label)
        return label
    raise ValueError(
        f"label {label!r} is not one of the session's classes {list(classes)}."
    )


def describe_row(X, position):
    """A row to show: ``values`` (its numbers, or column -> value for a
    DataFrame) and ``shape`` (of one row)."""
    row = take_rows(X, [position])
    if hasattr(row, "iloc"):
        values = {str(k): _scalar(v) for k, v in row.iloc[0].items()}
        return {"values": values, "shape": [row.shape[1]]}
    dense = row.toarray() if hasattr(row, "toarray") else np.asarray(row)
    return {"values": dense[0].ravel().tolist(), "shape": list(dense.shape[1:])}


def _scalar(value):
    return value.item() if isinstance(value, np.generic) else value
