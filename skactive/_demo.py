"""The data, models and strategies of ``python -m skactive demo``.

Shared with ``benchmarks/bench_label_efficiency.py``, so the demo and the
benchmark follow one protocol: a stratified 50/50 split into pool and test set,
a small initial labeled set, then batches until the budget.
"""

import numpy as np

DATASETS = ("digits", "mnist1d")
ESTIMATORS = ("logreg", "mlp")
#: (n_initial, batch_size, budget) per dataset, as in the benchmark protocol.
PROTOCOL = {"digits": (20, 10, 300), "mnist1d": (50, 50, 1000)}


def load_dataset(name, random_state=0):
    """``(X_pool, X_test, y_pool, y_test)``: a stratified 50/50 split, no download.

    ``digits`` is scikit-learn's bundled 8x8 digits (1,797 samples, 64 features);
    ``mnist1d`` is the 1-D MNIST of Greydanus (5,000 samples, 40 features), built
    offline by the ``mnist1d`` package.
    """
    from sklearn.model_selection import train_test_split

    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
    elif name == "mnist1d":
        try:
            from mnist1d.data import get_dataset_args, make_dataset
        except ImportError as error:
            raise ImportError(
                "--dataset mnist1d needs the mnist1d package: pip install mnist1d"
            ) from error
        data = make_dataset(get_dataset_args())
        X = np.concatenate([data["x"], data["x_test"]]).astype(np.float32)
        y = np.concatenate([data["y"], data["y_test"]]).astype(np.int64)
    else:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}.")
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=random_state)


def make_estimator(name):
    """A scaled logistic regression, or skactive's PyTorch MLP."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skactive.nets import TorchMLPClassifier

    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    if name == "mlp":
        return make_pipeline(StandardScaler(), TorchMLPClassifier())
    raise ValueError(f"estimator must be one of {ESTIMATORS}, got {name!r}.")


def uncertainty_strategies():
    """Entropy, margin and least confidence (random is the evaluation baseline)."""
    from skactive.strategies import UncertaintySampling

    return {
        measure: UncertaintySampling(acquisition_fn=measure)
        for measure in ("entropy", "margin", "least_confidence")
    }


def losers(result):
    """Sentences naming every strategy whose mean AULC is below the baseline's."""
    areas = {name: float(np.mean(value)) for name, value in result.aulc().items()}
    baseline = areas.get(result.baseline)
    return [
        f"{name} loses to {result.baseline} sampling here (AULC {area:.3f} vs "
        f"{baseline:.3f})."
        for name, area in areas.items()
        if baseline is not None and name != result.baseline and area < baseline
    ]


def save_curves(result, title, path, *, size=None, dpi=110):
    """Save the learning curves of ``result`` as a PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = result.plot(title=title)
    if size is not None:
        display.figure_.set_size_inches(*size)
    display.figure_.tight_layout()
    display.figure_.savefig(path, dpi=dpi)
    plt.close(display.figure_)
    return path
