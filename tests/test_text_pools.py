"""Raw-text pools: a list or array of strings as the pool, a text pipeline as
the estimator, every strategy through the pipeline's (sparse) transform."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skactive import ActiveLearner
from skactive.models import embed
from skactive.strategies import (
    BADGE,
    BALD,
    ClusterMargin,
    CoreSet,
    DiverseUncertainty,
    ExpectedErrorReduction,
    ExpectedModelChange,
    InformationDensity,
    KMeansSampling,
    RandomSampling,
    StochasticBatch,
    TypiClust,
    UncertaintySampling,
)

TOPICS = 3
VOCABULARY = 2000  # large enough that a dense tf-idf would dwarf the sparse one


def _corpus(n_documents, seed=0):
    """Documents of 14 words: 8 from their topic's 30 words, the rest shared."""
    rng = np.random.RandomState(seed)
    words = np.array([f"w{i}" for i in range(VOCABULARY)])
    own = np.array_split(np.arange(30 * TOPICS), TOPICS)  # each topic's own words
    labels = rng.randint(0, TOPICS, n_documents)
    topical = np.stack([rng.choice(own[c], 8) for c in labels])
    shared = rng.randint(30 * TOPICS, VOCABULARY, (n_documents, 6))
    tokens = words[np.hstack([topical, shared])]
    return [" ".join(row) for row in tokens], labels


@pytest.fixture(scope="module")
def corpus():
    texts, labels = _corpus(500)
    return np.array(texts, dtype=object), labels


def _pipeline(kind="logistic"):
    if kind == "forest":
        return make_pipeline(
            TfidfVectorizer(), RandomForestClassifier(n_estimators=10, random_state=0)
        )
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))


STRATEGIES = [
    UncertaintySampling(),
    CoreSet(),
    BADGE(),
    TypiClust(),
    KMeansSampling(),
    InformationDensity(),
    ClusterMargin(),
    DiverseUncertainty(),
    ExpectedModelChange(),
    ExpectedErrorReduction(n_candidates=20, n_eval=50),
    StochasticBatch(UncertaintySampling()),
    BALD(),
    RandomSampling(),
]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=repr)
def test_every_strategy_runs_a_text_simulation(corpus, strategy):
    texts, labels = corpus
    kind = "forest" if isinstance(strategy, BALD) else "logistic"
    runs = [
        ActiveLearner(_pipeline(kind), strategy, budget=50, random_state=0).fit(
            pool, labels[:400]
        )
        for pool in (texts[:400], list(texts[:400]))
    ]
    np.testing.assert_array_equal(runs[0].labeled_indices_, runs[1].labeled_indices_)
    assert np.unique(runs[0].labeled_indices_).shape == (50,)
    assert runs[0].score(texts[400:], labels[400:]) > 0.5
    assert not hasattr(runs[0], "n_features_in_")


def test_coreset_on_text_is_coreset_on_the_dense_tfidf(corpus):
    texts, labels = corpus
    model = _pipeline().fit(texts[:40], labels[:40])
    features = embed(model, texts)
    assert sp.issparse(features)  # the pool's transform is never densified
    dense = features.toarray()
    head = model[-1]
    on_text = CoreSet().select(
        model, texts[40:], 15, X_labeled=texts[:40], random_state=0
    )
    on_dense = CoreSet().select(
        head, dense[40:], 15, X_labeled=dense[:40], random_state=0
    )
    np.testing.assert_array_equal(on_text, on_dense)


def test_density_on_text_is_density_on_the_dense_tfidf(corpus):
    texts, labels = corpus
    model = _pipeline().fit(texts[:40], labels[:40])
    dense = embed(model, texts[40:]).toarray()
    np.testing.assert_allclose(
        InformationDensity().score_samples(model, texts[40:], random_state=0),
        InformationDensity().score_samples(model[-1], dense, random_state=0),
    )


def test_the_hand_driven_loop_on_text(corpus):
    texts, labels = corpus
    learner = ActiveLearner(_pipeline(), random_state=0).fit(
        list(texts[:20]), labels[:20]
    )
    pool = pd.Series(texts[20:])
    picked = learner.query(pool, batch_size=5)
    np.testing.assert_array_equal(learner.query(list(pool), batch_size=5), picked)
    again = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(again.query(pool, batch_size=5), picked)
    learner.teach(pool.iloc[picked], labels[20:][picked])
    assert learner.X_labeled_.shape == (25,) and learner.X_labeled_.dtype == object


def test_text_and_feature_arrays_do_not_mix(corpus):
    texts, labels = corpus
    learner = ActiveLearner(_pipeline(), random_state=0).fit(texts[:20], labels[:20])
    before = pickle.dumps(learner)
    with pytest.raises(ValueError, match="fitted on raw text"):
        learner.query(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="fitted on raw text"):
        learner.teach(np.zeros((2, 3)), labels[:2])
    assert pickle.dumps(learner) == before
    numeric = ActiveLearner(LogisticRegression()).fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="but X is raw text"):
        numeric.query(texts[:5])
    with pytest.raises(ValueError, match="Expected 2D array"):
        ActiveLearner(LogisticRegression()).fit(np.arange(4.0), [0, 1, 0, 1])


def test_a_label_free_start_on_text_needs_a_vectorizer(corpus):
    texts, labels = corpus
    learner = ActiveLearner(_pipeline(), budget=30, initial_strategy="kmeans")
    with pytest.raises(ValueError, match="before a vectorizer is fitted"):
        learner.fit(texts, labels)
    assert not hasattr(learner, "estimator_")
