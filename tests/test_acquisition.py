"""Acquisition functions: values, orientation, types, and properties."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import xlogy

from skactive import (
    entropy_acquisition,
    least_confidence_acquisition,
    margin_acquisition,
)

FUNCTIONS = [entropy_acquisition, least_confidence_acquisition, margin_acquisition]


@st.composite
def probability_arrays(draw):
    """Rows of probabilities, with exact zeros and one-hot rows among them."""
    n_rows = draw(st.integers(1, 12))
    n_classes = draw(st.integers(1, 10))
    weights = draw(
        arrays(
            np.float64,
            (n_rows, n_classes),
            elements=st.one_of(
                st.just(0.0), st.floats(1e-6, 1.0, allow_subnormal=False)
            ),
        )
    )
    weights[weights.sum(axis=1) == 0, 0] = 1.0  # every row needs some mass
    return weights / weights.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(probability_arrays())
def test_entropy_is_between_zero_and_log_n_classes(probs):
    entropy = entropy_acquisition(probs)
    assert entropy.shape == (probs.shape[0],)
    assert np.all(entropy >= 0)
    assert np.all(entropy <= math.log(probs.shape[1]) + 1e-12)
    expected = -xlogy(probs, probs).sum(axis=1)  # scipy's 0 * log(0) = 0
    np.testing.assert_allclose(entropy, expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(probability_arrays(), st.randoms(use_true_random=False))
def test_scores_ignore_the_order_of_the_classes(probs, random):
    permutation = list(range(probs.shape[1]))
    random.shuffle(permutation)
    for function in FUNCTIONS:
        np.testing.assert_allclose(
            function(probs[:, permutation]), function(probs), atol=1e-12
        )


@settings(max_examples=60, deadline=None)
@given(probability_arrays())
def test_confidence_and_margin_match_their_definitions(probs):
    ordered = np.sort(probs, axis=1)[:, ::-1]
    confidence = least_confidence_acquisition(probs)
    np.testing.assert_array_equal(confidence, ordered[:, 0])
    assert np.all(confidence >= 1 / probs.shape[1] - 1e-12)
    margin = margin_acquisition(probs)
    second = ordered[:, 1] if probs.shape[1] > 1 else 0.0
    np.testing.assert_allclose(margin, ordered[:, 0] - second, atol=1e-15)
    assert np.all((margin >= 0) & (margin <= 1))


@settings(max_examples=40, deadline=None)
@given(probability_arrays())
def test_torch_and_numpy_agree_and_keep_their_type(probs):
    for function in FUNCTIONS:
        for dtype in (torch.float32, torch.float64):
            tensor = torch.as_tensor(probs, dtype=dtype)
            result = function(tensor)
            assert isinstance(result, torch.Tensor)
            assert result.dtype == dtype
            assert result.device == tensor.device
            np.testing.assert_allclose(
                result.numpy(),
                function(probs.astype(tensor.numpy().dtype)),
                rtol=1e-5,
                atol=1e-6,
            )


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_dtype_is_kept(function, dtype):
    probs = np.array([[0.2, 0.8], [0.6, 0.4]], dtype=dtype)
    result = function(probs)
    assert isinstance(result, np.ndarray)
    assert result.dtype == dtype


@pytest.mark.parametrize("function", FUNCTIONS)
def test_exact_zeros_and_ones_raise_no_warning(function):
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        result = function(probs)
        torch_result = function(torch.as_tensor(probs))
    assert np.all(np.isfinite(result))
    assert torch.isfinite(torch_result).all()


def test_entropy_of_one_hot_is_zero_and_of_uniform_is_log_c():
    probs = np.array([[1.0, 0.0, 0.0, 0.0], [0.25] * 4], dtype=np.float32)
    entropy = entropy_acquisition(probs)
    assert entropy[0] == 0.0
    assert entropy[1] == pytest.approx(math.log(4), rel=1e-6)
    assert entropy_acquisition(torch.as_tensor(probs))[0].item() == 0.0


def test_orientation_matches_the_names():
    certain, uncertain = [0.98, 0.01, 0.01], [0.4, 0.35, 0.25]
    probs = np.array([certain, uncertain])
    entropy = entropy_acquisition(probs)
    assert entropy[1] > entropy[0]  # higher entropy = more uncertain
    assert (
        least_confidence_acquisition(probs)[1] < least_confidence_acquisition(probs)[0]
    )  # lower confidence = more uncertain
    assert margin_acquisition(probs)[1] < margin_acquisition(probs)[0]


def test_extra_leading_axes_are_kept():
    probs = np.random.default_rng(0).dirichlet(np.ones(5), size=(3, 7))
    for function in FUNCTIONS:
        assert function(probs).shape == (3, 7)
        assert function(torch.as_tensor(probs)).shape == (3, 7)


def test_single_class_gives_certain_scores():
    probs = np.ones((4, 1))
    np.testing.assert_array_equal(entropy_acquisition(probs), 0.0)
    np.testing.assert_array_equal(margin_acquisition(probs), 1.0)
    np.testing.assert_array_equal(least_confidence_acquisition(probs), 1.0)


def test_lists_are_accepted():
    assert entropy_acquisition([[0.5, 0.5]])[0] == pytest.approx(math.log(2))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_bad_input_is_rejected(function):
    with pytest.raises(ValueError, match="n_classes"):
        function(np.empty((3, 0)))
    with pytest.raises(ValueError, match="n_classes"):
        function(np.float64(0.5))
    with pytest.raises(TypeError, match="probabilities"):
        function(np.array([["a", "b"]]))


def test_the_guide_snippets_run_with_torch():
    """The user's guide: softmax of a model's logits, then sort by the score."""
    model = torch.nn.Linear(4, 3)
    unlabeled = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    probs = torch.nn.functional.softmax(model(unlabeled), dim=-1).detach()
    k = 5
    by_entropy = torch.argsort(entropy_acquisition(probs), descending=True)[:k]
    by_confidence = torch.argsort(least_confidence_acquisition(probs))[:k]
    by_margin = torch.argsort(margin_acquisition(probs))[:k]
    expected = np.argsort(-entropy_acquisition(probs.numpy()), kind="stable")[:k]
    assert set(by_entropy.tolist()) == set(expected.tolist())
    assert by_confidence.shape == by_margin.shape == (k,)


def test_score_orientation_says_which_way_each_measure_points():
    from skactive.acquisition import (
        entropy_acquisition,
        least_confidence_acquisition,
        margin_acquisition,
        score_orientation,
    )

    probs = np.array([[0.5, 0.5], [0.9, 0.1]])  # the first row is less certain
    for function in (
        entropy_acquisition,
        margin_acquisition,
        least_confidence_acquisition,
    ):
        oriented = score_orientation(function) * np.asarray(function(probs))
        assert oriented[0] > oriented[1], function.__name__
    assert score_orientation(np.max) == 1.0


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 20), st.integers(2, 6)),
        elements=st.floats(0.01, 1.0),
    ),
    st.sampled_from(["entropy", "margin", "least_confidence"]),
)
@settings(max_examples=50, deadline=None)
def test_normalized_uncertainty_lies_between_one_hot_and_uniform(raw, measure):
    from skactive.acquisition import normalized_uncertainty

    proba = raw / raw.sum(axis=1, keepdims=True)
    values = normalized_uncertainty(proba, measure)
    assert values.shape == (proba.shape[0],)
    assert (values >= -1e-9).all() and (values <= 1 + 1e-9).all()
    k = proba.shape[1]
    np.testing.assert_allclose(
        normalized_uncertainty(np.full((1, k), 1 / k), measure), [1.0], atol=1e-12
    )
    np.testing.assert_allclose(
        normalized_uncertainty(np.eye(k)[:1], measure), [0.0], atol=1e-12
    )
