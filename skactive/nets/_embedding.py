"""Penultimate activations of a trained network: the input of its last linear layer.

Diversity strategies (CoreSet, BADGE) measure distances in this space, where the
network itself separates the classes; BADGE's gradient embedding of the last layer
is the outer product of these activations with ``p - onehot(argmax p)``.
"""

import numpy as np
import torch

from skactive.utils.inputs import (
    ThreadHook,
    float32_rows,
    inference_mode,
    iter_padded_chunks,
    module_device,
    torch_module,
)

__all__ = ["penultimate_activations"]

_CHUNK_ROWS = 1024


def penultimate_activations(model, X):
    """The input of the last ``torch.nn.Linear`` layer of a net, for each row.

    Parameters
    ----------
    model : NetClassifier, skorch net or torch.nn.Module
        A trained network.
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Samples.

    Returns
    -------
    activations : ndarray of shape (n_rows, n_units), float32
        Computed in eval mode, without gradients, in fixed-size chunks.
    """
    module = torch_module(model)
    linears = [
        layer for layer in module.modules() if isinstance(layer, torch.nn.Linear)
    ]
    if not linears:
        raise TypeError(
            f"{type(model).__name__} has no torch.nn.Linear layer whose input could "
            "serve as its embedding; pass embed=<a function (model, X) -> features> "
            "to the strategy."
        )
    X = float32_rows(X, model)
    device = module_device(module)
    captured = []
    handle = linears[-1].register_forward_pre_hook(  # this thread's passes only
        ThreadHook(lambda layer, inputs: captured.append(inputs[0].detach()))
    )
    out = None
    try:
        with inference_mode(module):
            start = 0
            for chunk, n_valid in iter_padded_chunks(X, _CHUNK_ROWS, device):
                captured.clear()
                module(chunk)
                features = captured[-1].reshape(chunk.shape[0], -1)[:n_valid]
                if out is None:
                    out = np.empty((X.shape[0], features.shape[1]), dtype=np.float32)
                out[start : start + n_valid] = features.float().cpu().numpy()
                start += n_valid
    finally:
        handle.remove()
    if out is None:
        out = np.empty((0, linears[-1].in_features), dtype=np.float32)
    return out
