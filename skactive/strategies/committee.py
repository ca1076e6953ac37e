"""Query by committee: the samples on which a committee's members disagree.

The committee is any source of predictive samples
(:func:`skactive.models.predict_proba_samples`): a :class:`~skactive.Committee`,
a scikit-learn ensemble, a list of fitted models, or a net's MC dropout masks.
This module was part of :mod:`skactive.strategies.bayesian`, which still
resolves the name.
"""

from typing import ClassVar

from skactive.acquisition import kl_to_consensus, vote_entropy
from skactive.strategies._disagreement import SampleDisagreement, consensus_entropy
from skactive.utils._compat import StrOptions

__all__ = ["QueryByCommittee"]

_DISAGREEMENTS = {
    "vote_entropy": vote_entropy,
    "kl_divergence": kl_to_consensus,
    "consensus_entropy": consensus_entropy,
}


class QueryByCommittee(SampleDisagreement):
    """Query by committee: the samples on which the committee's members disagree.

    Parameters
    ----------
    estimator : model or None, default=None
        For standalone use: a fitted :class:`~skactive.Committee`, ensemble, list
        of fitted models, or net with dropout (each mask a member). Inside an
        :class:`~skactive.ActiveLearner` leave it None; give the learner a
        ``Committee`` as its estimator.
    disagreement : {"vote_entropy", "kl_divergence", "consensus_entropy"}, \
            default="vote_entropy"
        - ``"vote_entropy"``: entropy of the members' votes (Dagan and Engelson
          1995); many ties, ordered at random.
        - ``"kl_divergence"``: mean KL divergence of each member to the consensus
          (McCallum and Nigam 1998); equal to BALD on the committee.
        - ``"consensus_entropy"``: entropy of the mean prediction.
    n_samples : int or None, default=None
        Monte Carlo dropout masks for a net. None uses the model's own count
        (``MCDropout.n_samples``), or 20 for a net with dropout. A committee or an
        ensemble gives one sample per member whatever this is.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import Committee
    >>> from skactive.strategies import QueryByCommittee
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee([LogisticRegression(max_iter=500)] * 5, random_state=0)
    >>> committee = committee.fit(X[::10], y[::10])
    >>> QueryByCommittee(committee).query(X, n_samples=4, random_state=0).shape
    (4,)
    """

    _parameter_constraints: ClassVar[dict] = {
        **SampleDisagreement._parameter_constraints,
        "disagreement": [StrOptions(set(_DISAGREEMENTS))],
    }

    def __init__(self, estimator=None, disagreement="vote_entropy", n_samples=None):
        self.estimator = estimator
        self.disagreement = disagreement
        self.n_samples = n_samples

    def _disagreement(self, samples):
        return _DISAGREEMENTS[self.disagreement](samples)
