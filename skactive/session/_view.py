"""What the labeling page shows for an item: an image, a text, a table row or
the row's numbers.

By default an item is its pool row: a DataFrame row is a table, a row of a 3-D
or 4-D array an image, anything else its numbers (``image_shape`` shows flat
rows, such as digits' 64 pixels, as images). ``display`` replaces the row with
one entry per item: a text, an image file's path (served by item id, never by a
path from a request), or an image array.
"""

import mimetypes
import os

import numpy as np

from skactive.utils.inputs import n_rows, take_rows

__all__ = ["IMAGE_SUFFIXES", "ItemView"]

#: File names shown as images (the browser decodes them).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg")
#: Numbers shown for a row that is neither an image nor a table.
_MAX_VALUES = 200


class ItemView:
    """How the page shows the items of a pool.

    Parameters
    ----------
    X : array-like, sparse matrix or DataFrame
        The pool.
    display : sequence, ndarray or None
        One entry per item shown instead of its row: strings (texts, or image
        files when every one names an existing image file) or an array of images
        of shape (n, height, width) or (n, height, width, channels).
    image_shape : tuple of int or None
        Show each row reshaped to this (height, width[, channels]) image.
    """

    def __init__(self, X, display=None, image_shape=None):
        self.X, self.image_shape = X, _check_image_shape(X, image_shape)
        self.display, self.kind = self._check_display(X, display)
        if self.image_shape is not None and self.kind == "values":
            self.kind = "image"

    @staticmethod
    def _check_display(X, display):
        if display is None:
            if hasattr(X, "iloc"):
                return None, "table"
            return None, "values"
        if isinstance(display, np.ndarray) and display.dtype.kind in "biuf":
            if display.ndim not in (3, 4) or display.shape[0] != n_rows(X):
                raise ValueError(
                    "display as an array must hold one image per pool row, of "
                    "shape (n_rows, height, width[, channels]); got shape "
                    f"{display.shape} for {n_rows(X)} rows."
                )
            return display, "image"
        entries = list(display)
        if len(entries) != n_rows(X):
            raise ValueError(
                f"display must hold one entry per pool row: got {len(entries)} "
                f"for {n_rows(X)} rows."
            )
        if not all(isinstance(e, str | os.PathLike) for e in entries):
            raise TypeError(
                "display must be strings (texts or image file paths) or an array "
                "of images."
            )
        entries = [os.fspath(e) for e in entries]
        files = all(
            e.lower().endswith(IMAGE_SUFFIXES) and os.path.isfile(e) for e in entries
        )
        return entries, "image_file" if files else "text"

    def describe(self, position):
        """The JSON the page renders for the item at ``position``."""
        if self.kind == "image_file":
            return {"kind": "image_file"}
        if self.kind == "text":
            return {"kind": "text", "text": self.display[position]}
        if self.kind == "image" and self.display is not None:
            return {"kind": "image", **_pixels(self.display[position])}
        row = take_rows(self.X, [position])
        if self.kind == "table":
            return {
                "kind": "table",
                "columns": [str(c) for c in row.columns],
                "values": [_scalar(v) for v in row.iloc[0].tolist()],
            }
        dense = np.asarray(row.toarray() if hasattr(row, "toarray") else row)[0]
        if self.image_shape is not None:
            return {"kind": "image", **_pixels(dense.reshape(self.image_shape))}
        if dense.ndim in (2, 3):
            return {"kind": "image", **_pixels(dense)}
        flat = dense.ravel()
        return {
            "kind": "values",
            "values": [_scalar(v) for v in flat[:_MAX_VALUES].tolist()],
            "n_values": int(flat.shape[0]),
        }

    def media(self, position):
        """``(path, media type)`` of an item's image file, or None."""
        if self.kind != "image_file":
            return None
        path = self.display[position]
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return path, kind


def _check_image_shape(X, image_shape):
    if image_shape is None:
        return None
    shape = tuple(int(s) for s in image_shape)
    width = int(np.prod(take_rows(X, [0]).shape[1:])) if n_rows(X) else None
    if (
        len(shape) not in (2, 3)
        or min(shape) < 1
        or (width and np.prod(shape) != width)
    ):
        raise ValueError(
            f"image_shape={image_shape!r} must be (height, width) or (height, "
            f"width, channels) with as many pixels as a row has values ({width})."
        )
    return shape


def _pixels(image):
    """An image as rows of 0-255 values, scaled from its own range."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"an image must be (height, width[, 1|3|4 channels]), got {image.shape}."
        )
    low, high = np.nanmin(image), np.nanmax(image)
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    pixels = np.rint(np.nan_to_num(scaled) * 255).astype(np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    return {
        "height": int(height),
        "width": int(width),
        "channels": int(channels),
        "pixels": pixels.ravel().tolist(),
    }


def _scalar(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value if isinstance(value, str | int | float | bool) else str(value)
