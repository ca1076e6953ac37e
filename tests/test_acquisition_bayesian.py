"""Disagreement functions on samples (K, ..., C): definitions and properties."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import entropy as scipy_entropy

from skactive.acquisition import (
    bald_acquisition,
    kl_to_consensus,
    mean_std,
    variation_ratios,
    vote_entropy,
)

DISAGREEMENTS = [
    bald_acquisition,
    kl_to_consensus,
    mean_std,
    variation_ratios,
    vote_entropy,
]


@st.composite
def sample_arrays(draw, n_members=None):
    """Samples (K, n, C) of probability rows, exact zeros and one-hot rows included."""
    n_members = n_members or draw(st.integers(1, 8))
    n_rows = draw(st.integers(1, 6))
    n_classes = draw(st.integers(1, 6))
    weights = draw(
        arrays(
            np.float64,
            (n_members, n_rows, n_classes),
            elements=st.one_of(
                st.just(0.0), st.floats(1e-4, 1.0, allow_subnormal=False)
            ),
        )
    )
    weights[..., 0][weights.sum(axis=-1) == 0] = 1.0
    return weights / weights.sum(axis=-1, keepdims=True)


def _reference_bald(samples):
    """H(mean) - mean H, with scipy's entropy, row by row."""
    K, n, _ = samples.shape
    return np.array(
        [
            scipy_entropy(samples[:, i].mean(0))
            - np.mean([scipy_entropy(samples[k, i]) for k in range(K)])
            for i in range(n)
        ]
    )


@settings(max_examples=80, deadline=None)
@given(sample_arrays())
def test_bald_is_nonnegative_bounded_by_log_c_and_matches_its_definition(samples):
    bald = bald_acquisition(samples)
    n_classes = samples.shape[-1]
    assert bald.shape == samples.shape[1:2]
    assert (bald >= 0).all()
    assert (bald <= math.log(n_classes) + 1e-12).all()
    np.testing.assert_allclose(
        bald, np.maximum(_reference_bald(samples), 0), atol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(sample_arrays(n_members=1), st.integers(1, 6))
def test_every_disagreement_is_zero_when_members_agree(one, n_members):
    samples = np.repeat(one, n_members, axis=0)
    for function in DISAGREEMENTS:
        np.testing.assert_allclose(function(samples), 0, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(sample_arrays())
def test_kl_to_the_consensus_equals_bald(samples):
    """Mean KL to the mean prediction is the mutual information (an identity)."""
    np.testing.assert_allclose(
        kl_to_consensus(samples), bald_acquisition(samples), atol=1e-10
    )


@settings(max_examples=80, deadline=None)
@given(sample_arrays())
def test_vote_functions_match_a_count_of_the_votes(samples):
    K, n, C = samples.shape
    votes = samples.argmax(axis=-1)  # (K, n)
    for i in range(n):
        counts = np.bincount(votes[:, i], minlength=C)
        assert variation_ratios(samples)[i] == pytest.approx(1 - counts.max() / K)
        assert vote_entropy(samples)[i] == pytest.approx(scipy_entropy(counts / K))
    assert (vote_entropy(samples) <= math.log(min(K, C)) + 1e-12).all()
    assert (variation_ratios(samples) <= 1 - 1 / C + 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(sample_arrays())
def test_mean_std_is_the_population_std_averaged_over_classes(samples):
    expected = np.sqrt(((samples - samples.mean(0)) ** 2).mean(0)).mean(-1)
    np.testing.assert_allclose(mean_std(samples), expected, atol=1e-12)
    assert (mean_std(samples) <= 0.5 + 1e-12).all()  # std of a [0, 1] variable


@pytest.mark.parametrize("function", DISAGREEMENTS)
def test_torch_in_torch_out_with_the_same_values(function):
    rng = np.random.RandomState(0)
    samples = rng.dirichlet(np.ones(4), size=(5, 7)).astype(np.float32)
    expected = function(samples)
    out = function(torch.from_numpy(samples))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert isinstance(expected, np.ndarray) and expected.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("function", DISAGREEMENTS)
def test_extra_row_axes_are_kept(function):
    samples = np.random.RandomState(1).dirichlet(np.ones(3), size=(4, 2, 5))
    assert function(samples).shape == (2, 5)
    np.testing.assert_allclose(function(samples)[1], function(samples[:, 1]))


def test_hand_computed_values():
    # Two members sure of opposite classes: BALD = H([.5, .5]) = log 2.
    opposite = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert bald_acquisition(opposite)[0] == pytest.approx(math.log(2))
    assert vote_entropy(opposite)[0] == pytest.approx(math.log(2))
    assert variation_ratios(opposite)[0] == pytest.approx(0.5)
    assert mean_std(opposite)[0] == pytest.approx(0.5)
    # Two members both at [.5, .5]: uncertain but agreeing, BALD = 0.
    assert bald_acquisition(np.full((2, 1, 2), 0.5))[0] == 0


@pytest.mark.parametrize("function", DISAGREEMENTS)
def test_bad_input_is_rejected_with_the_expected_shape_named(function):
    with pytest.raises(ValueError, match=r"n_members, \.\.\., n_classes"):
        function(np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="at least one member"):
        function(np.empty((0, 3, 2)))
    with pytest.raises(TypeError, match="probabilities"):
        function(np.array([[["a", "b"]]]))
