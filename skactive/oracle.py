"""SimulatedOracle: an annotator with a known error rate, for simulations.

People mislabel, and the uncertain samples active learning asks about are the
ones they get wrong most. A :class:`SimulatedOracle` stands in for such an
annotator: ``ActiveLearner`` with a ``budget`` and ``active_learning_curve``
accept it where they take ``y``, so a strategy's cost under noise can be
measured. It sits below the learner, which reads its answers.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["SimulatedOracle"]

_NOISE = ("uniform", "class_conditional")


class SimulatedOracle:
    """An annotator who answers from ``y`` but errs at rate ``noise_rate``.

    Each sample's answer is drawn once per simulation: with probability
    ``noise_rate`` it is another class than the true one, otherwise the true
    one. ``noise`` says which other class:

    - ``"uniform"``: any other class, uniformly;
    - ``"class_conditional"``: always the same confusion for a class, the next
      class of the sorted label set (cyclic), as annotators who confuse "3"
      with "5" do: systematic noise, harder to average away.

    Pass it where ``y`` goes in a simulation: ``ActiveLearner(...,
    budget=...).fit(X, oracle)`` or ``active_learning_curve(learner, X,
    oracle, X_test, y_test)``. The test labels stay clean, so the curves show
    what the noise costs.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The true labels.
    noise_rate : float in [0, 1), default=0.0
        Probability that an answer is wrong.
    noise : {"uniform", "class_conditional"}, default="uniform"
        Which wrong class.
    random_state : int, RandomState instance or None, default=None
        Fixes the answers. None: each simulation draws its own from the
        learner's ``random_state`` (so repeats of a learning curve see
        different annotators, and the strategies of one repeat the same).

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.oracle import SimulatedOracle
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> oracle = SimulatedOracle(y, noise_rate=0.1, random_state=0)
    >>> round(float(np.mean(oracle.labels() != y)), 2)
    0.1
    >>> oracle.label([0, 1, 2]).shape
    (3,)
    """

    def __init__(self, y, noise_rate=0.0, noise="uniform", random_state=None):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional, got shape {y.shape}.")
        if (
            isinstance(noise_rate, bool)
            or not isinstance(noise_rate, Real)
            or not 0 <= noise_rate < 1
        ):
            raise ValueError(
                f"noise_rate must be a probability in [0, 1), got {noise_rate!r}."
            )
        if noise not in _NOISE:
            raise ValueError(f"noise must be one of {_NOISE}, got {noise!r}.")
        self.y = y
        self.noise_rate = noise_rate
        self.noise = noise
        self.random_state = random_state
        self._answers = None

    def __len__(self):
        return self.y.shape[0]

    def __repr__(self):
        return (
            f"SimulatedOracle(<{len(self)} labels>, noise_rate={self.noise_rate}, "
            f"noise={self.noise!r}, random_state={self.random_state!r})"
        )

    def labels(self, random_state=None):
        """Every sample's answer: ``y`` with a ``noise_rate`` share changed.

        Parameters
        ----------
        random_state : int, RandomState instance or None, default=None
            Used when the oracle's own ``random_state`` is None.

        Returns
        -------
        answers : ndarray of shape (n_samples,), the dtype of ``y``
        """
        seed = self.random_state if self.random_state is not None else random_state
        if isinstance(seed, Integral):
            seed = np.random.RandomState(seed)  # the same answers at every call
        rng = check_random_state(seed)
        classes, codes = np.unique(self.y, return_inverse=True)
        n_classes = classes.shape[0]
        wrong = rng.random_sample(self.y.shape[0]) < self.noise_rate
        if n_classes < 2:
            return self.y.copy()
        if self.noise == "uniform":
            shift = rng.randint(1, n_classes, size=self.y.shape[0])
        else:
            shift = np.ones(self.y.shape[0], dtype=np.int64)
        codes = np.where(wrong, (codes + shift) % n_classes, codes)
        return classes[codes]

    def label(self, indices):
        """The answers for ``indices``, the same ones at every call.

        For hand-driven loops: ``learner.teach(X_pool[picked],
        oracle.label(picked))``. Drawn once, with the oracle's ``random_state``.
        """
        if self._answers is None:
            self._answers = self.labels()
        return self._answers[np.asarray(indices)]
