"""Seeds: every random choice flows from one ``random_state``.

:func:`draw_seed` turns a random state into an integer seed for a component
that seeds itself (a torch generator, a clustering, a strategy's one draw of
the model per query); :func:`private_torch_rng` runs a block on torch's random
stream seeded from it, leaving the global torch state as it was.
"""

import sys
import threading
from contextlib import contextmanager

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["MAX_SEED", "derive_seed", "draw_seed", "private_torch_rng"]

#: Seeds are drawn in ``[0, MAX_SEED)``, the range every seeded library accepts.
MAX_SEED = np.iinfo(np.int32).max
# torch draws weight initializations, batch orders and training dropout from one
# process-wide generator. Blocks seeded on it hold this lock, so fits in several
# threads take turns on it and each gets exactly its own stream (reentrant: a
# learner's seeded fit wraps the net's own).
_TORCH_RNG_LOCK = threading.RLock()


def draw_seed(random_state, size=None):
    """An integer seed in ``[0, MAX_SEED)`` drawn from ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        The stream to draw from (an instance is advanced by one draw).
    size : int or None, default=None
        Draw this many seeds at once.

    Returns
    -------
    seed : int, or ndarray of shape (size,) of int

    Examples
    --------
    >>> draw_seed(0) == draw_seed(0)
    True
    """
    seeds = check_random_state(random_state).randint(MAX_SEED, size=size)
    return int(seeds) if size is None else seeds


def derive_seed(seed, *keys):
    """An integer seed in ``[0, MAX_SEED)`` that is a function of ``seed`` and
    ``keys`` (non-negative integers), independent for different keys.

    A learner's query stream is seeded this way from its estimator seed and the
    number of labels: fitted on ``n`` labels at once, or taught them one batch
    at a time, it asks the same.

    Examples
    --------
    >>> derive_seed(7, 10) == derive_seed(7, 10) != derive_seed(7, 11)
    True
    """
    state = np.random.SeedSequence([int(seed), *map(int, keys)]).generate_state(1)
    return int(state[0] % MAX_SEED)


@contextmanager
def private_torch_rng(seed_or_state, device):
    """Run a block on torch's RNG seeded from ``seed_or_state``, then restore it.

    Yields a list that receives the RNG state at the end of the block, so a later
    ``partial_fit`` continues the same random stream. Blocks in other threads
    wait: torch has one global generator, and two seeded blocks sharing it at
    once would each see the other's draws.

    Parameters
    ----------
    seed_or_state : int or torch.Tensor
        A seed, or a state from an earlier block.
    device : str or torch.device
        CUDA devices' streams are forked too when it is a CUDA device.

    Notes
    -----
    Before torch is imported nothing can hold a tensor or a module, and the
    block runs as it is (the list stays empty): a process that never uses torch
    never pays for its import.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield []
        return
    cuda_devices = []
    if torch.device(device).type == "cuda":
        cuda_devices = list(range(torch.cuda.device_count()))
    end_state = []
    with _TORCH_RNG_LOCK, torch.random.fork_rng(devices=cuda_devices):
        if isinstance(seed_or_state, torch.Tensor):
            torch.set_rng_state(seed_or_state)
        else:
            torch.manual_seed(seed_or_state)
        yield end_state
        end_state.append(torch.get_rng_state())
