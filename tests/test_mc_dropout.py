"""MC dropout: consistent masks, a shared prefix, seeding, and the MCDropout wrapper."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from skactive import ActiveLearner, MCDropout
from skactive.models import predict_proba_samples
from skactive.nets import TorchMLPClassifier
from skactive.strategies import BALD


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(n_samples=300, centers=3, n_features=6, random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def net(data):
    X, y = data
    model = TorchMLPClassifier((16, 8), dropout=0.3, max_epochs=15, random_state=0)
    return model.fit(X[:100], y[:100])


def _reference_samples(net, X, n_samples, random_state, p):
    """Sample k by hand: eval-mode layers, dropout replaced by mask k of each layer.

    The masks are drawn as the library documents: a torch generator seeded from
    random_state, one (K, 1, width) mask per dropout layer in forward order.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    generator = torch.Generator().manual_seed(seed)
    trunk, head = net.module_.trunk, net.module_.head
    h = torch.from_numpy(X)
    out = h.unsqueeze(0)
    with torch.no_grad():
        for layer in trunk:
            if isinstance(layer, torch.nn.Dropout):
                keep = (
                    torch.rand((n_samples, 1, out.shape[-1]), generator=generator) >= p
                )
                out = out * keep / (1 - p)
            else:
                out = layer(out)
        return torch.softmax(head(out), dim=-1).numpy()


def test_samples_match_a_hand_computation_with_the_documented_masks(data, net):
    X, _ = data
    samples = predict_proba_samples(net, X[:50], n_samples=7, random_state=3)
    assert samples.shape == (7, 50, 3) and samples.dtype == np.float32
    expected = _reference_samples(net, X[:50], 7, 3, p=0.3)
    np.testing.assert_allclose(samples, expected, atol=1e-5)


def test_masks_are_shared_by_all_rows_and_differ_between_samples():
    """Identity logits through dropout: each sample's kept units are visible."""
    module = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Dropout(0.5))
    X = np.ones((40, 200), dtype=np.float32)
    samples = predict_proba_samples(module, X, n_samples=6, random_state=0)
    kept = samples > samples.min(axis=-1, keepdims=True) * 1.5  # (K, n, C)
    assert (kept == kept[:, :1]).all()  # one mask per sample, for every row
    assert len({kept[k, 0].tobytes() for k in range(6)}) == 6
    assert 0.4 < kept.mean() < 0.6  # p = 0.5


def test_same_seed_same_samples_other_seed_other_samples(data, net):
    X, _ = data
    first = predict_proba_samples(net, X, 5, random_state=0)
    np.testing.assert_array_equal(
        first, predict_proba_samples(net, X, 5, random_state=0)
    )
    assert not np.allclose(first, predict_proba_samples(net, X, 5, random_state=1))


def test_a_row_does_not_depend_on_the_other_rows_of_the_call(data, net):
    X, _ = data
    whole = predict_proba_samples(net, X, 5, random_state=0)
    part = predict_proba_samples(net, X[37:91], 5, random_state=0)
    np.testing.assert_allclose(whole[:, 37:91], part, atol=1e-6)


def test_layers_before_the_first_dropout_run_once_for_all_samples(data, net):
    X, _ = data
    rows_seen = {}

    def recorder(name):
        def hook(layer, inputs, output):
            rows_seen.setdefault(name, inputs[0].shape[0])

        return hook

    first, head = net.module_.trunk[0], net.module_.head
    hooks = [
        first.register_forward_hook(recorder("first")),
        head.register_forward_hook(recorder("head")),
    ]
    try:
        predict_proba_samples(net, X[:64], n_samples=10, random_state=0)
    finally:
        for hook in hooks:
            hook.remove()
    assert rows_seen["head"] == 10 * rows_seen["first"]


class _Residual(torch.nn.Module):
    """Dropout inside a residual branch: the shared prefix cannot apply."""

    def __init__(self):
        super().__init__()
        self.inner = torch.nn.Linear(6, 6)
        self.dropout = torch.nn.Dropout(0.5)
        self.head = torch.nn.Linear(6, 3)

    def forward(self, X):
        return self.head(X + self.dropout(self.inner(X)))


def test_a_residual_dropout_falls_back_to_repeated_inputs_with_the_same_masks(data):
    X, _ = data
    torch.manual_seed(0)
    module = _Residual()
    samples = predict_proba_samples(module, X[:20], n_samples=4, random_state=5)
    seed = int(check_random_state(5).randint(np.iinfo(np.int32).max))
    keep = torch.rand((4, 1, 6), generator=torch.Generator().manual_seed(seed)) >= 0.5
    with torch.no_grad():
        x = torch.from_numpy(X[:20])
        logits = module.head(x + module.inner(x) * keep / 0.5)
    np.testing.assert_allclose(samples, torch.softmax(logits, -1).numpy(), atol=1e-6)
    assert module.training  # the module's mode is restored


@pytest.mark.parametrize(
    "layer", [torch.nn.AlphaDropout(0.2), torch.nn.Dropout1d(0.3)], ids=repr
)
def test_other_dropout_layers_are_sampled_consistently(layer):
    body = (
        [torch.nn.Unflatten(1, (4, 3))] if isinstance(layer, torch.nn.Dropout1d) else []
    )
    module = torch.nn.Sequential(
        *body, layer, torch.nn.Flatten(), torch.nn.Linear(12, 3)
    )
    X = np.random.RandomState(0).randn(30, 12).astype(np.float32)
    samples = predict_proba_samples(module, X, 8, random_state=0)
    assert samples.shape == (8, 30, 3)
    assert np.isfinite(samples).all()
    assert samples.std(axis=0).mean() > 0
    np.testing.assert_allclose(
        samples[:, 10:20],
        predict_proba_samples(module, X[10:20], 8, random_state=0),
        atol=1e-6,
    )


def test_a_pipeline_transforms_before_sampling(data):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(),
        TorchMLPClassifier((8,), dropout=0.2, max_epochs=5, random_state=0),
    ).fit(X, y)
    samples = predict_proba_samples(pipe, X[:10], 4, random_state=0)
    direct = predict_proba_samples(
        pipe[-1], pipe[0].transform(X[:10]), 4, random_state=0
    )
    np.testing.assert_array_equal(samples, direct)


def test_a_net_without_dropout_gets_a_type_error_naming_the_fixes(data):
    X, y = data
    plain = TorchMLPClassifier((8,), max_epochs=3, random_state=0).fit(X, y)
    with pytest.raises(
        TypeError, match=r"no dropout.*dropout=0\.5.*MCDropout.*Committee"
    ):
        predict_proba_samples(plain, X[:5])
    with pytest.raises(NotFittedError):
        predict_proba_samples(TorchMLPClassifier(dropout=0.5), X[:5])


def test_mcdropout_wrapper_defaults_mean_and_seed(data, net):
    X, _ = data
    model = MCDropout(net, n_samples=6, random_state=2)
    samples = model.predict_proba_samples(X[:30])
    assert samples.shape == (6, 30, 3)
    np.testing.assert_array_equal(samples, predict_proba_samples(net, X[:30], 6, 2))
    assert model.predict_proba_samples(X[:30], n_samples=3).shape == (3, 30, 3)
    np.testing.assert_allclose(model.predict_proba(X[:30]), samples.mean(0))
    np.testing.assert_array_equal(
        model.predict(X[:30]), net.classes_[samples.mean(0).argmax(1)]
    )
    np.testing.assert_array_equal(model.classes_, net.classes_)
    # The function reads the wrapper's own count when none is given.
    assert predict_proba_samples(model, X[:3]).shape == (6, 3, 3)


def test_mcdropout_of_a_plain_module_predicts_output_positions():
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3)
    )
    model = MCDropout(module, n_samples=5, random_state=0)
    X = torch.randn(10, 4)
    assert model.predict_proba(X).shape == (10, 3)
    assert set(model.predict(X)) <= {0, 1, 2}
    with pytest.raises(TypeError, match="NetClassifier"):
        model.fit(X.numpy(), np.zeros(10))
    with pytest.raises(AttributeError):
        model.classes_


def test_mcdropout_fits_a_clone_and_serves_an_active_learner(data):
    X, y = data
    template = TorchMLPClassifier((16,), dropout=0.3, max_epochs=10, random_state=0)
    learner = ActiveLearner(
        MCDropout(template, n_samples=8), BALD(), batch_size=5, random_state=0
    ).fit(X[:20], y[:20])
    assert not hasattr(template, "net_")
    indices = learner.query(X[20:])
    assert indices.shape == (5,) and np.unique(indices).shape == (5,)
    again = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(learner.query(X[20:]), again.query(X[20:]))
    assert learner.predict_proba(X[:4]).shape == (4, 3)


def test_the_guide_snippet_runs(data, net):
    """BALDAcquisition(MCDropout(model, n_samples=10)).query(pool, n_samples=100)."""
    from skactive import BALDAcquisition

    X, _ = data
    mc_dropout = MCDropout(net, n_samples=10)
    strategy = BALDAcquisition(mc_dropout)
    query_indices = strategy.query(X, n_samples=100)
    assert query_indices.shape == (100,)
    assert np.unique(query_indices).shape == (100,)


def test_threads_sharing_a_net_get_their_own_masks_embeddings_and_eval_mode(data):
    # dask's threaded scheduler runs blocks of one pool on one net at once: a
    # hook of one pass must not fire in another, nor eval mode end under it.
    from concurrent.futures import ThreadPoolExecutor

    from skactive.nets import mc_dropout_samples, penultimate_activations

    X, y = data
    net = TorchMLPClassifier(max_epochs=3, dropout=0.3, random_state=0).fit(X, y)
    assert net.module_.training  # left in train mode by skorch: the risky case
    blocks = [np.roll(X, 7 * i, axis=0)[:300] for i in range(8)]

    def both(block):
        return (
            mc_dropout_samples(net, block, 6, random_state=1),
            penultimate_activations(net, block),
            predict_proba_samples(net, block, 6, random_state=1),
        )

    expected = [both(b) for b in blocks]
    for _ in range(3):
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(both, blocks))
        for g, e in zip(got, expected, strict=True):
            for a, b in zip(g, e, strict=True):
                np.testing.assert_array_equal(a, b)
    assert net.module_.training  # restored once the last pass left
    pickle.loads(pickle.dumps(net))  # no hook left behind
