"""What a strategy that learns (ActiveLearningByLearning) learned, kept by a
labeling session: carried from one serving learner to the next, and saved,
pickled, in the session's meta table with each batch's leases."""

import base64
import pickle
import warnings

__all__ = ["LEARNED_KEY", "carry_learned", "pickled_learned", "unpickled_learned"]

#: The meta key of a learning strategy's state.
LEARNED_KEY = "learned_strategy"


def pickled_learned(learner):
    """The learner's learning strategy, pickled for the meta table (None
    without a learner, or for a strategy that does not learn)."""
    learned = None if learner is None else learner._learned_strategy()
    if learned is None:
        return None
    return base64.b64encode(pickle.dumps(learned)).decode("ascii")


def unpickled_learned(stored):
    """A learning strategy's state as saved; None (it starts afresh, with a
    warning) when it cannot be read back."""
    if stored is None:
        return None
    try:
        return pickle.loads(base64.b64decode(stored))
    except Exception as error:
        warnings.warn(
            f"The query strategy's saved state could not be read ({error!r}); "
            "it starts learning afresh from the next batch.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None


def carry_learned(serving, restored, learner):
    """Give ``learner`` (the new serving one) what the strategy learned from
    every batch so far: the ``serving`` learner's, or ``restored`` (read at
    reopening) while none serves. Returns whether ``restored`` was used up."""
    learned = restored if serving is None else serving._learned_strategy()
    if learner is None or learned is None:
        return False
    learner._resume_strategy(learned)
    return serving is None
