"""modAL's deep active learning grammar, on skactive's MC dropout.

For code written against ``modAL.models.DeepActiveLearner`` and
``modAL.dropout.mc_dropout_bald``: the same names and calls, with only the
imports changed. ``teach`` trains the net further on the samples it is given
(skorch's ``partial_fit``, from the current weights), as modAL's does; the
query's MC dropout uses skactive's consistent masks, chunked and seeded
(:class:`~skactive.nets.MCDropout`), on the dropout layers named by
``dropout_layer_indexes``.

New code should prefer :class:`~skactive.ActiveLearner` with
``query_strategy=BALD()``: it owns the labeled set, refits reproducibly and
works in ``Pipeline`` and ``GridSearchCV``.
"""

import numpy as np
from sklearn.utils import check_random_state

from skactive.nets import MCDropout
from skactive.strategies import BALD
from skactive.utils.ranking import top_k
from skactive.utils.validation import check_positive_int

__all__ = ["DeepActiveLearner", "mc_dropout_bald"]


def _net(classifier):
    """The trained net of a DeepActiveLearner, or the net itself."""
    return getattr(classifier, "estimator", classifier)


def mc_dropout_bald(
    classifier,
    X,
    n_instances=1,
    random_tie_break=False,
    dropout_layer_indexes=None,
    num_cycles=50,
    random_state=None,
    **kwargs,
):
    """BALD under MC dropout: the ``n_instances`` most informative samples.

    Parameters
    ----------
    classifier : DeepActiveLearner or a trained skorch net
        The model, with dropout layers.
    X : array-like or torch.Tensor
        The pool, of any trailing shape the net takes.
    n_instances : int, default=1
        How many to return.
    random_tie_break : bool, default=False
        Accepted for modAL's signature: ties are always broken at random here.
    dropout_layer_indexes : list of int or None, default=None
        The dropout layers to sample, as positions in
        ``list(module.modules())``; None or empty samples all of them.
    num_cycles : int, default=50
        Dropout masks (forward passes).
    random_state : int, RandomState instance or None, default=None
        Seeds the masks and the ties.
    **kwargs : dict
        modAL's other options (``sample_per_forward_pass``, ``logits_adaptor``)
        are accepted and ignored: the pool is chunked on its own.

    Returns
    -------
    indices : ndarray of shape (min(n_instances, n_samples),), int64
        Positions in ``X``, most informative first.
    scores : ndarray of the same shape
        Their BALD scores (mutual information, nats).
    """
    n_instances = check_positive_int(n_instances, "n_instances")
    layers = list(dropout_layer_indexes) if dropout_layer_indexes else None
    rng = check_random_state(random_state)
    model = MCDropout(_net(classifier), n_samples=num_cycles, dropout_layers=layers)
    scores = BALD().score_samples(model, X, random_state=rng)
    indices = top_k(scores, n_instances, rng)
    return indices, scores[indices]


class DeepActiveLearner:
    """modAL's ``DeepActiveLearner``: a skorch net and a query function.

    Parameters
    ----------
    estimator : skorch net
        The network (for example a ``skorch.NeuralNetClassifier``).
    query_strategy : callable, default=mc_dropout_bald
        ``query_strategy(learner, X_pool, **query_kwargs)``, returning indices
        or ``(indices, scores)``.
    **fit_kwargs : dict
        Passed to the net's ``fit`` / ``partial_fit`` at every ``teach``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> class Net(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layers = torch.nn.Sequential(
    ...             torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.5),
    ...             torch.nn.Linear(16, 3))
    ...     def forward(self, x):
    ...         return self.layers(x)
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> net = NeuralNetClassifier(Net, criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=5, train_split=None, verbose=0)
    >>> learner = DeepActiveLearner(net, query_strategy=mc_dropout_bald)
    >>> learner = learner.teach(X[::10].astype(np.float32), y[::10])
    >>> indices, scores = learner.query(X.astype(np.float32), n_instances=4)
    >>> indices.shape, scores.shape
    ((4,), (4,))
    """

    def __init__(self, estimator, query_strategy=mc_dropout_bald, **fit_kwargs):
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.fit_kwargs = fit_kwargs

    def fit(self, X, y, **fit_kwargs):
        """Train the net anew on ``(X, y)``.

        Returns
        -------
        self : DeepActiveLearner
        """
        self.estimator.fit(X, y, **{**self.fit_kwargs, **fit_kwargs})
        return self

    def teach(self, X, y, warm_start=True, **fit_kwargs):
        """Train the net on ``(X, y)``: further from its current weights
        (``partial_fit``) with ``warm_start``, anew otherwise.

        Returns
        -------
        self : DeepActiveLearner
        """
        params = {**self.fit_kwargs, **fit_kwargs}
        if warm_start:
            self.estimator.partial_fit(X, y, **params)
        else:
            self.estimator.fit(X, y, **params)
        return self

    def query(self, X_pool, *query_args, **query_kwargs):
        """What ``query_strategy(self, X_pool, ...)`` returns: indices, or
        ``(indices, scores)`` for ``mc_dropout_bald``."""
        return self.query_strategy(self, X_pool, *query_args, **query_kwargs)

    def predict(self, X):
        """The net's predictions."""
        return self.estimator.predict(X)

    def predict_proba(self, X):
        """The net's class probabilities."""
        return self.estimator.predict_proba(X)

    def score(self, X, y):
        """The net's accuracy on ``(X, y)``."""
        return self.estimator.score(X, np.asarray(y))
