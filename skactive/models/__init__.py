"""Model capabilities: what a query strategy may ask of a fitted model.

Strategies never call a model's methods directly; they ask for a capability here,
which dispatches on what the model is, duck typing first.

Classifiers (:mod:`skactive.models._classification`):

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

Regressors (:mod:`skactive.models._regression`):

* :func:`predict_samples`: predictions of each member ``(n_members, n_samples)``
  from anything defining ``predict_samples``, a regression ensemble's
  ``estimators_`` (forests, bagging, voting), a ``CommitteeRegressor`` or a list
  of fitted regressors.
* :func:`predict_std`: the predictive standard deviation ``(n_samples,)``: the
  model's own (``GaussianProcessRegressor``, ``BayesianRidge``: ``predict(X,
  return_std=True)``), else the spread of :func:`predict_samples`.

Multilabel classifiers (:mod:`skactive.models._multilabel`):

* :func:`is_multilabel`: whether a fitted classifier predicts label sets;
* :func:`predict_label_proba`: each label's probability ``(n_samples,
  n_labels)``, whether the model answers with an array (``OneVsRestClassifier``,
  a multilabel net) or a list of per-label arrays (``MultiOutputClassifier``,
  forests).

Committees (:mod:`skactive.models._committee`): :class:`Committee` and
:class:`CommitteeRegressor` are models themselves, several estimators trained
as one, whose members' predictions are the samples the capabilities above read
(``skactive.Committee`` and the old path ``skactive.committee`` name the same
classes).

A model without the capability gets a ``TypeError`` naming what to wrap it in.
"""

from skactive.models._classification import (
    DEFAULT_MC_SAMPLES,
    embed,
    embeds_raw_features,
    ensemble_samples,
    is_multilabel,
    linear_head_reads_raw_features,
    model_input,
    pipeline_head,
    predict_proba,
    predict_proba_samples,
)
from skactive.models._committee import Committee, CommitteeRegressor
from skactive.models._gradients import (
    gradient_embedding_factors,
    gradient_residual,
    last_layer_inputs,
)
from skactive.models._multilabel import predict_label_proba
from skactive.models._regression import predict_samples, predict_std

__all__ = [
    "DEFAULT_MC_SAMPLES",
    "Committee",
    "CommitteeRegressor",
    "embed",
    "embeds_raw_features",
    "ensemble_samples",
    "gradient_embedding_factors",
    "gradient_residual",
    "is_multilabel",
    "last_layer_inputs",
    "linear_head_reads_raw_features",
    "model_input",
    "pipeline_head",
    "predict_label_proba",
    "predict_proba",
    "predict_proba_samples",
    "predict_samples",
    "predict_std",
]
