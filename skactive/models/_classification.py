"""Classifier capabilities: probabilities, their samples, embeddings.

Strategies never call a model's methods directly; they ask for a capability here,
which dispatches on what the model is, duck typing first:

* :func:`predict_proba`: class probabilities ``(n_samples, n_classes)`` from any
  fitted scikit-learn classifier with ``predict_proba``, a skorch net (a float
  array is cast to float32 for it, as skorch nets train in float32), or a plain
  ``torch.nn.Module`` that returns logits.
* :func:`predict_proba_samples`: samples of the predictive distribution
  ``(n_members, n_samples, n_classes)`` from anything defining
  ``predict_proba_samples`` (``MCDropout``, ``Committee``, a user's class), a net
  with dropout (MC dropout), a scikit-learn ensemble's ``estimators_`` or a list
  of fitted models; a ``Pipeline`` transforms ``X`` and asks its last step.
* :func:`embed`: features for distances ``(n_samples, n_features)``: the
  penultimate activations of a net, the transformed features of a pipeline's
  input to its last step, the raw features otherwise.
* :func:`gradient_embedding_factors`: the two factors of the last layer's
  gradient embedding (BADGE), never their ``n x (C * D)`` product.

A model without the capability gets a ``TypeError`` naming what to wrap it in.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from skactive.utils.inputs import (
    as_float_array,
    float32_rows,
    inference_mode,
    is_torch_module,
    isinstance_if_imported,
    logits_of,
    module_device,
    n_rows,
    rows_to_tensor,
    to_float32,
    torch_module,
)
from skactive.utils.validation import check_positive_int

__all__ = [
    "embed",
    "embeds_raw_features",
    "ensemble_samples",
    "is_multilabel",
    "linear_head_reads_raw_features",
    "model_input",
    "pipeline_head",
    "predict_proba",
    "predict_proba_samples",
]

#: Monte Carlo dropout passes when neither the caller nor the model says how many.
DEFAULT_MC_SAMPLES = 20
# Ensembles whose members are trained on the positions of classes_ (0..C-1), not
# on the labels themselves.
# (Checked by name in sklearn.ensemble, which is imported only by whoever made one.)
_ENCODED_ENSEMBLES = (
    "BaggingClassifier",
    "ExtraTreesClassifier",
    "RandomForestClassifier",
    "StackingClassifier",
    "VotingClassifier",
)

_NO_PROBA_HELP = (
    "Wrap a classifier that has a decision_function in "
    "sklearn.calibration.CalibratedClassifierCV, or use SVC(probability=True); "
    "a torch.nn.Module returning logits is also accepted."
)


def _is_skorch_net(model):
    return isinstance_if_imported(model, "skorch", "NeuralNet")


def model_input(model, X):
    """``X`` as ``model`` reads it: float64 arrays cast to float32 for a skorch
    net (skorch nets train in float32), anything else as it is."""
    return to_float32(X) if _is_skorch_net(model) else X


def _module_proba(module, X):
    """Softmax of a module's logits on ``X``, as a float32 ndarray."""
    import torch

    inputs = rows_to_tensor(float32_rows(X))
    with inference_mode(module):
        logits = logits_of(module(inputs.to(module_device(module))))
    return torch.softmax(logits.float(), dim=-1).cpu().numpy()


def pipeline_head(model, X):
    """``(last step, X transformed by the steps before it)`` of a Pipeline."""
    for _, step in model.steps[:-1]:
        if step is not None and step != "passthrough":
            X = step.transform(X)
    return model.steps[-1][1], X


def predict_proba(model, X):
    """Class probabilities of a fitted model.

    Parameters
    ----------
    model : fitted classifier, skorch net or torch.nn.Module
        Anything with ``predict_proba``, or a module returning logits (its softmax
        is taken; the module is run in eval mode, without gradients).
    X : array-like, sparse matrix, DataFrame or torch.Tensor of shape \
            (n_samples, n_features)
        Samples, in a form the model accepts.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Columns follow the model's ``classes_`` (or the module's outputs).

    Raises
    ------
    TypeError
        When the model has no ``predict_proba`` and is not a torch module.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> predict_proba(LogisticRegression(max_iter=500).fit(X, y), X[:2]).shape
    (2, 3)
    """
    if is_torch_module(model):
        return _module_proba(model, X)
    method = getattr(model, "predict_proba", None)
    if method is None or not callable(method):
        raise TypeError(
            f"{type(model).__name__} has no predict_proba, which this query "
            f"strategy needs. {_NO_PROBA_HELP}"
        )
    return np.asarray(method(model_input(model, X)))


def _member_columns(member_classes, classes, encoded):
    """Columns of ``classes`` that a member's ``classes_`` map to."""
    if encoded:
        return np.asarray(member_classes).astype(np.intp)
    columns = np.searchsorted(classes, member_classes)
    columns = np.minimum(columns, len(classes) - 1)
    if not np.array_equal(np.asarray(classes)[columns], member_classes):
        raise ValueError(
            f"A member predicts classes {list(member_classes)} outside the "
            f"ensemble's classes {list(classes)}."
        )
    return columns


def _members(model):
    """``(members, classes, encoded, feature_subsets)`` of an ensemble, or None."""
    if isinstance(model, (list, tuple)):
        members = list(model)
        if not members:
            raise ValueError("The list of models is empty; give at least one.")
        if not all(hasattr(member, "classes_") for member in members):
            raise TypeError(
                "Each model in the list must be a fitted classifier with classes_."
            )
        classes = np.unique(np.concatenate([m.classes_ for m in members]))
        return members, classes, False, None
    estimators = getattr(model, "estimators_", None)
    if estimators is None or not hasattr(model, "classes_"):
        return None
    if isinstance(estimators, np.ndarray):
        members = list(estimators.ravel())
    else:  # a list; np.asarray would unpack members that are sequences (Pipeline)
        members = list(estimators)
    if not members or not all(hasattr(m, "classes_") for m in members):
        # Gradient boosting keeps regression trees: no member is a classifier.
        return None
    subsets = getattr(model, "estimators_features_", None)
    encoded = isinstance_if_imported(model, "sklearn.ensemble", *_ENCODED_ENSEMBLES)
    return members, model.classes_, encoded, subsets


def ensemble_samples(members, classes, X, *, encoded=False, feature_subsets=None):
    """Each member's class probabilities on ``X``, columns following ``classes``.

    Parameters
    ----------
    members : list of fitted classifiers
        A member without ``predict_proba`` contributes a one-hot vote.
    classes : ndarray of shape (n_classes,)
        The ensemble's label set.
    X : array-like, sparse matrix or DataFrame
        Samples.
    encoded : bool, default=False
        Whether the members were trained on the positions of ``classes``
        (scikit-learn's forests and bagging) rather than on the labels.
    feature_subsets : list of arrays or None, default=None
        The columns each member reads (``BaggingClassifier``).

    Returns
    -------
    samples : ndarray of shape (n_members, n_rows, n_classes)
    """
    subsets = feature_subsets
    if hasattr(X, "iloc") and encoded:
        X = X.to_numpy()  # such ensembles train their members on arrays
    samples = np.zeros((len(members), n_rows(X), len(classes)))
    for k, member in enumerate(members):
        X_member = X if subsets is None else _columns(X, subsets[k])
        columns = _member_columns(member.classes_, classes, encoded)
        if hasattr(member, "predict_proba"):
            samples[k][:, columns] = predict_proba(member, X_member)
        else:  # a hard-voting member contributes its vote
            votes = np.searchsorted(member.classes_, member.predict(X_member))
            samples[k][np.arange(samples.shape[1]), columns[votes]] = 1.0
    return samples


def _columns(X, columns):
    return X.iloc[:, columns] if hasattr(X, "iloc") else X[:, columns]


def predict_proba_samples(model, X, n_samples=None, random_state=None):
    """Samples of a model's predictive distribution: one per member or dropout mask.

    Dispatches on what the model is, duck typing first:

    1. anything with a ``predict_proba_samples(X, n_samples, random_state)``
       method: :class:`~skactive.nets.MCDropout`, :class:`~skactive.Committee` or a
       user's own class;
    2. a ``Pipeline``: ``X`` goes through every step but the last, which is asked;
    3. a ``NetClassifier``, skorch net or ``torch.nn.Module`` with dropout layers:
       MC dropout, with masks shared by all rows and the layers before the first
       dropout computed once for all samples;
    4. a scikit-learn ensemble with ``estimators_`` (random forest, extra trees,
       bagging, voting, AdaBoost): each member's probabilities, columns aligned
       with the ensemble's ``classes_``;
    5. a list of fitted classifiers: each one's probabilities, columns following
       the sorted union of their classes.

    A member without ``predict_proba`` contributes a one-hot vote.

    Parameters
    ----------
    model : estimator, torch.nn.Module or list of fitted classifiers
        The model.
    X : array-like, sparse matrix, DataFrame or torch.Tensor of shape \
            (n_rows, n_features)
        Samples, in a form the model accepts.
    n_samples : int or None, default=None
        Number of Monte Carlo samples. None uses the model's own count
        (``MCDropout.n_samples``) or 20 dropout masks for a bare net. Ensembles
        and committees give one sample per member whatever this is.
    random_state : int, RandomState instance or None, default=None
        Seeds the dropout masks: the same seed gives the same samples.

    Returns
    -------
    samples : ndarray of shape (n_members, n_rows, n_classes)
        float32 from networks, float64 from scikit-learn members.

    Raises
    ------
    TypeError
        When the model gives no samples (a single model without dropout); the
        message names the wrappers that would give it samples.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    >>> predict_proba_samples(forest, X[:8]).shape
    (5, 8, 3)
    """
    n_samples = check_positive_int(n_samples, "n_samples", allow_none=True)
    method = getattr(model, "predict_proba_samples", None)
    if callable(method):
        return np.asarray(method(X, n_samples=n_samples, random_state=random_state))
    if isinstance(model, Pipeline):
        head, X = pipeline_head(model, X)
        return predict_proba_samples(head, X, n_samples, random_state)
    if torch_module(model) is not None:
        from skactive.nets import mc_dropout_samples

        if n_samples is None:
            n_samples = DEFAULT_MC_SAMPLES
        return mc_dropout_samples(model, model_input(model, X), n_samples, random_state)
    members = _members(model)
    if members is None:
        from skactive.nets import NO_SAMPLES_HELP

        raise TypeError(
            f"{type(model).__name__} gives no samples of its predictions (from "
            "dropout or from several members), which this query strategy needs. "
            f"{NO_SAMPLES_HELP}"
        )
    members, classes, encoded, subsets = members
    return ensemble_samples(
        members, classes, X, encoded=encoded, feature_subsets=subsets
    )


def embed(model, X):
    """Features in which distances between samples are measured.

    Parameters
    ----------
    model : estimator, skorch net or torch.nn.Module
        A fitted model. Anything with an ``embed(X)`` method is asked first; a
        ``Pipeline`` transforms ``X`` through every step but the last and embeds
        for that step; a net gives its penultimate activations (the input of its
        last ``torch.nn.Linear``); any other model gives the features as they are.
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Samples.

    Returns
    -------
    embedding : ndarray or CSR matrix of shape (n_rows, n_dimensions)
        float32 from nets, float64 otherwise (float32 input stays float32);
        sparse features (a text pipeline's tf-idf) stay a sparse matrix.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> embed(model, X[:3]).round(2)
    array([[-0.9 ,  1.02, -1.34, -1.32],
           [-1.14, -0.13, -1.34, -1.32],
           [-1.39,  0.33, -1.4 , -1.32]])
    """
    method = getattr(model, "embed", None)
    if callable(method):
        return np.asarray(method(X))
    if isinstance(model, Pipeline):
        return embed(*pipeline_head(model, X))
    if torch_module(model) is not None:
        from skactive.nets import penultimate_activations

        return penultimate_activations(model, X)
    # Sparse stays sparse (a text pipeline's tf-idf): distances need no dense copy.
    return as_float_array(X, accept_sparse=sp.issparse(X))


def embeds_raw_features(model):
    """Whether :func:`embed` gives ``model``'s input features as they are.

    True for a model with no ``embed`` method that is neither a ``Pipeline`` nor
    a net (a linear model, a forest, or None for label-free use): strategies
    then read the pool itself, with no copy of it.
    """
    return (
        not callable(getattr(model, "embed", None))
        and not isinstance(model, Pipeline)
        and torch_module(model) is None
    )


def linear_head_reads_raw_features(model, embed_function=None):
    """Whether the last layer's input ``h`` of ``model`` is its raw features and
    a constant 1 (a linear model with ``coef_``, not in a Pipeline, no
    ``embed_function``): see :func:`last_layer_inputs`."""
    return (
        embed_function is None
        and not isinstance(model, Pipeline)
        and torch_module(model) is None
        and hasattr(model, "coef_")
    )


def is_multilabel(model):
    """Whether a fitted classifier predicts a set of labels per sample.

    Parameters
    ----------
    model : fitted classifier
        The model; a ``Pipeline`` is judged by its last step.

    Returns
    -------
    multilabel : bool

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> X, Y = make_multilabel_classification(50, n_classes=3, random_state=0)
    >>> is_multilabel(OneVsRestClassifier(LogisticRegression()).fit(X, Y))
    True
    >>> is_multilabel(LogisticRegression().fit(X, Y[:, 0]))
    False
    """
    if isinstance(model, Pipeline):
        return is_multilabel(model.steps[-1][1])
    own = getattr(model, "multilabel_", None)  # OneVsRest, skactive's nets
    if own is not None:
        return bool(own)
    # MultiOutputClassifier, forests and trees: one classes_ array per output.
    return isinstance(getattr(model, "classes_", None), list)
