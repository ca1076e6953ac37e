"""Behaviour of NetClassifier and TorchMLPClassifier beyond scikit-learn's checks."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from skactive import MLPModule, NetClassifier, TorchMLPClassifier

FAST = {"max_epochs": 5}


class TwoLayerNet(torch.nn.Module):
    def __init__(self, n_features_in, n_classes, width=8):
        super().__init__()
        self.body = torch.nn.Linear(n_features_in, width)
        self.out = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.out(torch.relu(self.body(X)))


class FixedNet(torch.nn.Module):
    """A module sized by hand: it takes neither n_features_in nor n_classes."""

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 3)

    def forward(self, X):
        return self.layer(X)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:600], y[:600], X[600:900], y[600:900]


# -- shapes, classes and labels ------------------------------------------------


def test_infers_width_and_classes(blobs):
    X, y = blobs
    clf = TorchMLPClassifier(random_state=0).fit(X, y)
    assert clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.module_.trunk[0].in_features == 4
    assert clf.module_.head.out_features == 3
    assert clf.score(X, y) > 0.95


def test_classes_fix_the_output_layer_before_all_labels_are_seen(blobs):
    X, y = blobs
    seen = y != 2
    clf = TorchMLPClassifier(classes=[2, 0, 1], random_state=0, **FAST)
    clf.fit(X[seen], y[seen])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(X), 3)
    assert clf.module_.head.out_features == 3
    # Training on the missing class later needs no rebuild.
    clf.partial_fit(X, y)
    assert clf.module_.head.out_features == 3


def test_label_outside_fixed_classes_is_a_clear_error(blobs):
    X, y = blobs
    clf = TorchMLPClassifier(classes=[0, 1], **FAST)
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
        clf.fit(X, y)


@pytest.mark.parametrize("classes", [[], [[0, 1]]])
def test_malformed_classes_parameter(blobs, classes):
    X, y = blobs
    with pytest.raises(ValueError, match="classes must be a non-empty 1-D"):
        TorchMLPClassifier(classes=classes, **FAST).fit(X, y)


@settings(max_examples=15, deadline=None)
@given(
    n_samples=st.integers(2, 25),
    n_features=st.integers(1, 5),
    n_classes=st.integers(1, 4),
    kind=st.sampled_from(["int", "sparse_int", "str", "bool", "float"]),
    seed=st.integers(0, 10_000),
)
def test_any_label_type_round_trips(n_samples, n_features, n_classes, kind, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    codes = rng.integers(0, n_classes, size=n_samples)
    vocabulary = {
        "int": np.arange(4),
        "sparse_int": np.array([-7, 3, 40, 1000]),
        "str": np.array(["cat", "dog", "eel", "fox"]),
        "bool": np.array([True, False, True, False]),
        "float": np.array([1.0, 2.0, 5.0, 9.0]),
    }[kind]
    y = vocabulary[codes]
    clf = TorchMLPClassifier(hidden_sizes=(8,), max_epochs=3, random_state=seed)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    proba = clf.predict_proba(X)
    assert proba.shape == (n_samples, len(np.unique(y)))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    predicted = clf.predict(X)
    assert predicted.dtype == y.dtype
    np.testing.assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32, np.float64])
def test_any_numeric_dtype_gives_the_same_model(blobs, dtype):
    X, y = blobs
    X = np.round(X)
    reference = TorchMLPClassifier(random_state=0, **FAST).fit(X.astype(np.float32), y)
    clf = TorchMLPClassifier(random_state=0, **FAST).fit(X.astype(dtype), y)
    np.testing.assert_array_equal(
        clf.predict_proba(X.astype(dtype)), reference.predict_proba(X)
    )


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_matrix, sp.coo_array])
def test_sparse_input_matches_dense(blobs, to_sparse):
    X, y = blobs
    X = np.where(np.abs(X) > 3, X, 0.0)
    dense = TorchMLPClassifier(random_state=0, **FAST).fit(X, y)
    sparse = TorchMLPClassifier(random_state=0, **FAST).fit(to_sparse(X), y)
    np.testing.assert_array_equal(
        sparse.predict_proba(to_sparse(X)), dense.predict_proba(X)
    )
    assert TorchMLPClassifier().__sklearn_tags__().input_tags.sparse


def test_single_class_predicts_that_class(blobs):
    X, _ = blobs
    clf = TorchMLPClassifier(**FAST).fit(X[:5], ["only"] * 5)
    assert clf.predict_proba(X).shape == (len(X), 1)
    np.testing.assert_array_equal(clf.predict_proba(X), 1.0)
    assert set(clf.predict(X)) == {"only"}


@pytest.mark.parametrize("n_samples", [1, 2])
def test_tiny_training_sets_fit_without_a_validation_split(blobs, n_samples):
    X, y = blobs
    X, y = X[[0, 45]][:n_samples], np.array(["a", "b"])[:n_samples]
    clf = TorchMLPClassifier(max_epochs=50, lr=0.05, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), y)
    assert "valid_loss" not in clf.net_.history[-1]


def test_validation_split_when_asked(blobs):
    X, y = blobs
    clf = TorchMLPClassifier(train_split=ValidSplit(0.2), random_state=0, **FAST)
    clf.fit(X, y)
    assert np.isfinite(clf.net_.history[-1, "valid_loss"])


def test_predictions_do_not_depend_on_the_other_samples(digits):
    X, y, X_test, _ = digits
    clf = TorchMLPClassifier(random_state=0, **FAST).fit(X, y)
    full = clf.predict_proba(X_test)
    order = np.random.default_rng(0).permutation(len(X_test))
    np.testing.assert_array_equal(clf.predict_proba(X_test[order]), full[order])
    one_by_one = np.vstack([clf.predict_proba(X_test[i : i + 1]) for i in range(20)])
    np.testing.assert_array_equal(one_by_one, full[:20])
    # A pool spanning several inference chunks, the last one padded.
    rng = np.random.default_rng(1)
    pool = np.vstack([X_test] * 9) + rng.normal(scale=0.1, size=(9 * len(X_test), 64))
    pool_proba = clf.predict_proba(pool)
    order = rng.permutation(len(pool))
    np.testing.assert_array_equal(clf.predict_proba(pool[order]), pool_proba[order])
    np.testing.assert_array_equal(
        clf.predict_proba(pool[1500:1507]), pool_proba[1500:1507]
    )


# -- seeding ---------------------------------------------------------------------


def test_same_seed_same_model_and_different_seed_different(digits):
    X, y, X_test, _ = digits
    params = {"dropout": 0.2, **FAST}
    first = TorchMLPClassifier(random_state=3, **params).fit(X, y).predict_proba(X_test)
    second = (
        TorchMLPClassifier(random_state=3, **params).fit(X, y).predict_proba(X_test)
    )
    other = TorchMLPClassifier(random_state=4, **params).fit(X, y).predict_proba(X_test)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_fit_leaves_global_random_states_alone(blobs):
    X, y = blobs
    np.random.seed(11)
    torch.manual_seed(11)
    numpy_state = np.random.get_state()[1].copy()
    torch_state = torch.get_rng_state().clone()
    clf = TorchMLPClassifier(dropout=0.3, random_state=0, **FAST).fit(X, y)
    clf.partial_fit(X, y)
    clf.predict_proba(X)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_fit_does_not_depend_on_global_random_states(blobs):
    X, y = blobs
    probas = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        torch.manual_seed(global_seed)
        clf = TorchMLPClassifier(dropout=0.3, random_state=5, **FAST).fit(X, y)
        probas.append(clf.predict_proba(X))
    np.testing.assert_array_equal(*probas)


def test_partial_fit_sequence_is_reproducible(blobs):
    X, y = blobs

    def run():
        clf = TorchMLPClassifier(dropout=0.3, random_state=2)
        for _ in range(3):
            clf.partial_fit(X, y, classes=[0, 1, 2])
        return clf

    first, second = run(), run()
    assert first.n_iter_ == 3
    assert len(first.net_.history) == 3
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def test_partial_fit_rejects_a_changed_class_set(blobs):
    X, y = blobs
    clf = TorchMLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="differs from the classes of the first"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.partial_fit(X[:, :3], y)


# -- early stopping -------------------------------------------------------------


def test_training_stops_when_the_loss_stalls(blobs):
    X, y = blobs
    stopped = TorchMLPClassifier(lr=0.05, max_epochs=500, random_state=0).fit(X, y)
    assert stopped.n_iter_ < 500
    losses = stopped.net_.history[:, "train_loss"]
    # Each of the last n_iter_no_change epochs failed to beat the best so far by tol,
    # and the epoch before them did beat it.
    n_epochs, patience = len(losses), stopped.n_iter_no_change
    for epoch in range(n_epochs - patience, n_epochs):
        assert losses[epoch] > min(losses[:epoch]) - stopped.tol
    last_improvement = n_epochs - patience - 1
    assert losses[last_improvement] <= min(losses[:last_improvement]) - stopped.tol
    full = TorchMLPClassifier(tol=None, max_epochs=30, random_state=0).fit(X, y)
    assert full.n_iter_ == 30


# -- skorch routing, get_params, clone, pickle --------------------------------------


def test_routed_parameters_reach_skorch(blobs):
    X, y = blobs
    clf = NetClassifier(
        TwoLayerNet, optimizer="sgd", optimizer__momentum=0.9, module__width=5, **FAST
    )
    assert clf.get_params()["module__width"] == 5
    clf.set_params(module__width=7, optimizer__momentum=0.5)
    assert clf.get_params()["module__width"] == 7
    clf.fit(X, y)
    assert clf.module_.body.out_features == 7
    assert clf.net_.optimizer_.param_groups[0]["momentum"] == 0.5


def test_module_sized_by_hand_gets_no_size_arguments(blobs):
    X, y = blobs
    clf = NetClassifier(FixedNet, **FAST).fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_weight_decay_and_fused_adam_defaults(blobs):
    X, y = blobs
    clf = TorchMLPClassifier(weight_decay=0.01, **FAST).fit(X, y)
    group = clf.net_.optimizer_.param_groups[0]
    assert group["weight_decay"] == 0.01
    assert group["fused"] is True
    clf = TorchMLPClassifier(optimizer__fused=False, **FAST).fit(X, y)
    assert not clf.net_.optimizer_.param_groups[0]["fused"]


def test_callbacks_are_run_and_not_mutated(blobs):
    X, y = blobs

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs_ += 1

    callback = CountEpochs()
    clf = TorchMLPClassifier(callbacks=[("count", callback)], tol=None, max_epochs=4)
    clf.fit(X, y)
    assert dict(clf.net_.callbacks_)["count"].epochs_ == 4
    assert not hasattr(callback, "epochs_")


def test_clone_before_and_after_fit(blobs):
    X, y = blobs
    clf = NetClassifier(TwoLayerNet, module__width=6, random_state=1, **FAST)
    unfitted = clone(clf)
    assert unfitted.get_params() == clf.get_params()
    clf.fit(X, y)
    refit = clone(clf)
    assert not hasattr(refit, "net_")
    assert refit.get_params()["module__width"] == 6
    np.testing.assert_array_equal(
        refit.fit(X, y).predict_proba(X), clf.predict_proba(X)
    )


def test_pickle_round_trip(digits):
    X, y, X_test, _ = digits
    clf = TorchMLPClassifier(dropout=0.2, random_state=0, **FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), clf.predict_proba(X_test)
    )
    # The random stream continues identically after unpickling too.
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), clf.predict_proba(X_test)
    )


def test_module_instance_is_copied_not_trained(blobs):
    X, y = blobs
    module = TwoLayerNet(4, 3)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    clf = NetClassifier(module, lr=0.05, **FAST).fit(X, y)
    for name, value in module.state_dict().items():
        assert torch.equal(value, before[name])
    assert clf.module_ is not module
    assert not torch.equal(clf.module_.out.weight, before["out.weight"])


# -- the trunk and head ------------------------------------------------------------


def test_module_is_a_trunk_and_a_head_with_dropout_in_the_trunk(blobs):
    X, y = blobs
    clf = TorchMLPClassifier(hidden_sizes=(16, 8), dropout=0.5, **FAST).fit(X, y)
    module = clf.module_
    assert isinstance(module, MLPModule)
    inputs = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        module.eval()
        embedding = module.trunk(inputs)
        assert embedding.shape == (len(X), 8)
        np.testing.assert_allclose(
            torch.softmax(module.head(embedding), 1).numpy(),
            clf.predict_proba(X),
            rtol=1e-5,
        )
        module.train()
        sampled = [module.trunk(inputs) for _ in range(2)]
        module.eval()
    assert sum(isinstance(m, torch.nn.Dropout) for m in module.trunk) == 2
    assert not torch.equal(*sampled)  # dropout active at inference when asked


def test_predict_restores_the_training_mode(blobs):
    X, y = blobs
    clf = TorchMLPClassifier(dropout=0.5, **FAST).fit(X, y)
    clf.module_.train()
    clf.predict_proba(X)
    assert clf.module_.training


# -- scikit-learn tooling -------------------------------------------------------


def test_pipeline_grid_search_and_cross_validation(digits):
    X, y, X_test, y_test = digits
    pipe = Pipeline(
        [("scale", StandardScaler()), ("net", TorchMLPClassifier(random_state=0))]
    )
    search = GridSearchCV(
        pipe, {"net__hidden_sizes": [(8,), (32,)]}, cv=2, n_jobs=2, error_score="raise"
    )
    search.fit(X, y)
    assert search.best_params_["net__hidden_sizes"] in [(8,), (32,)]
    assert search.score(X_test, y_test) > 0.85
    scores = cross_val_score(TorchMLPClassifier(random_state=0), X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_dataframe_input_records_feature_names(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = TorchMLPClassifier(**FAST).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert clf.predict(frame).shape == (len(X),)


def test_verbose_prints_only_when_asked(blobs, capsys):
    X, y = blobs
    TorchMLPClassifier(max_epochs=2).fit(X, y)
    assert capsys.readouterr().out == ""
    TorchMLPClassifier(max_epochs=2, verbose=1).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


def test_learns_a_harder_problem():
    X, y = make_classification(n_samples=400, n_informative=6, random_state=0)
    clf = TorchMLPClassifier(random_state=0).fit(X[:300], y[:300])
    assert clf.score(X[300:], y[300:]) > 0.8


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"lr": -1.0}, ValueError, "'lr' parameter"),
        ({"max_epochs": 0}, ValueError, "'max_epochs' parameter"),
        ({"optimizer": "adamax"}, ValueError, "'optimizer' parameter"),
        ({"activation": "swish"}, ValueError, "'activation' parameter"),
        ({"dropout": 1.0}, ValueError, "'dropout' parameter"),
        ({"hidden_sizes": (10, 0)}, ValueError, "hidden_sizes must hold positive"),
        ({"lrate": 0.1}, TypeError, "unexpected parameter 'lrate'"),
        ({"module__hidden_sizes": (3,)}, ValueError, "duplicate parameters"),
        ({"optimizer": int}, TypeError, "optimizer must be one of"),
    ],
)
def test_bad_parameters_fail_at_fit_with_a_clear_message(blobs, params, error, match):
    X, y = blobs
    clf = TorchMLPClassifier(**params)  # construction never validates
    with pytest.raises(error, match=match):
        clf.fit(X, y)


def test_module_that_is_not_a_torch_module(blobs):
    X, y = blobs
    with pytest.raises(TypeError, match=r"module must be a torch\.nn\.Module"):
        NetClassifier(dict).fit(X, y)


def test_predict_before_fit_and_wrong_width(blobs):
    X, y = blobs
    with pytest.raises(NotFittedError):
        TorchMLPClassifier().predict(X)
    with pytest.raises(NotFittedError):
        TorchMLPClassifier().module_
    clf = TorchMLPClassifier(**FAST).fit(X, y)
    with pytest.raises(
        ValueError, match="X has 3 features, but TorchMLPClassifier is expecting 4"
    ):
        clf.predict(X[:, :3])


def test_regression_targets_are_rejected(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="Unknown label type"):
        TorchMLPClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_routed_iterator_keyword_overrides_the_shuffle_default(blobs):
    X, y = blobs
    kwargs = {"iterator_train__shuffle": False, "tol": None, "max_epochs": 2}
    first = TorchMLPClassifier(random_state=0, **kwargs).fit(X, y)
    second = TorchMLPClassifier(random_state=1, **kwargs).fit(X, y)
    # Different seeds still differ in their initial weights, not in batch order.
    assert not np.allclose(first.predict_proba(X), second.predict_proba(X))
    assert (
        first.net_.get_iterator(first.net_.get_dataset(X), training=True).shuffle
        is False
    )


def test_seeded_fits_in_threads_equal_the_sequential_fit():
    """torch's generator is global: seeded fits in threads must not share it."""
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)

    def fit(_):
        net = TorchMLPClassifier((16,), dropout=0.2, max_epochs=15, random_state=0)
        return net.fit(X, y).predict_proba(X)

    sequential = fit(None)
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(fit, range(4)))
    for proba in threaded:
        np.testing.assert_array_equal(proba, sequential)
