"""Fit time and test accuracy: TorchMLPClassifier vs MLPClassifier vs plain skorch.

Same data, same split, same run, one thread everywhere (torch and numpy's BLAS).
Each model is fitted with several seeds; the table gives the mean and standard
deviation, and the ratio of fit times to scikit-learn's MLPClassifier.

Targets (issue 2): accuracy within 1 point of MLPClassifier, fit time no more than
1.5x its.

Run: python benchmarks/bench_nets.py [--seeds 3]
Writes benchmarks/results/bench_nets.md.
"""

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier
from threadpoolctl import threadpool_limits

from skactive.nets import TorchMLPClassifier

RESULTS = Path(__file__).resolve().parent / "results" / "bench_nets.md"


def load_datasets():
    from mnist1d.data import get_dataset_args, make_dataset

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    data = make_dataset(get_dataset_args())  # built offline from templates
    sets = {
        "digits": (X_train, X_test, y_train, y_test),
        "mnist1d": (data["x"], data["x_test"], data["y"], data["y_test"]),
    }
    for name, (X_train, X_test, y_train, y_test) in sets.items():
        scaler = StandardScaler().fit(X_train)
        sets[name] = (
            scaler.transform(X_train),
            scaler.transform(X_test),
            y_train,
            y_test,
        )
    return sets


def hand_sized_module(n_features, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, 100),
        torch.nn.ReLU(),
        torch.nn.Linear(100, n_classes),
    )


class SkorchModel:
    """A plain skorch NeuralNetClassifier, as a skorch user writes it."""

    def __init__(self, tuned, seed):
        self.tuned, self.seed = tuned, seed

    def fit(self, X, y):
        torch.manual_seed(self.seed)  # skorch's only way to seed
        module = hand_sized_module(X.shape[1], len(np.unique(y)))
        params = {"criterion": torch.nn.CrossEntropyLoss, "verbose": 0}
        if self.tuned:  # configured like MLPClassifier's defaults
            params.update(
                optimizer=torch.optim.Adam,
                lr=1e-3,
                batch_size=200,
                max_epochs=200,
                train_split=None,
                iterator_train__shuffle=True,
            )
        self.net = NeuralNetClassifier(module, **params)
        # skorch needs float32 features and int64 labels 0..C-1.
        self.net.fit(X.astype(np.float32), y.astype(np.int64))
        return self

    def score(self, X, y):
        return float(np.mean(self.net.predict(X.astype(np.float32)) == y))


MODELS = {
    "MLPClassifier (sklearn)": lambda seed: MLPClassifier((100,), random_state=seed),
    "TorchMLPClassifier (skactive)": lambda seed: TorchMLPClassifier(random_state=seed),
    "skorch NeuralNetClassifier, defaults": lambda seed: SkorchModel(False, seed),
    "skorch NeuralNetClassifier, tuned like MLP": lambda seed: SkorchModel(True, seed),
}


def run(n_seeds):
    sets = load_datasets()
    TorchMLPClassifier(max_epochs=1).fit(*sets["digits"][::2])  # warm torch imports
    rows = []
    for dataset, (X_train, X_test, y_train, y_test) in sets.items():
        for model_name, make in MODELS.items():
            times, scores = [], []
            for seed in range(n_seeds):
                model = make(seed)
                start = time.perf_counter()
                model.fit(X_train, y_train)
                times.append(time.perf_counter() - start)
                scores.append(model.score(X_test, y_test))
            rows.append((dataset, model_name, np.array(times), np.array(scores)))
            print(
                f"{dataset:8s} {model_name:45s} {np.mean(times):6.2f} s "
                f"{np.mean(scores):.4f}",
                flush=True,
            )
    return rows, sets


def to_markdown(rows, sets, n_seeds):
    lines = [
        "# bench_nets: fit time and test accuracy",
        "",
        f"{n_seeds} seeds per model; mean ± std. One thread (torch and BLAS). "
        f"{platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, skorch {skorch.__version__}.",
        "Data standardized on the training split; digits: 1347 train / 450 test; "
        f"mnist1d: {len(sets['mnist1d'][0])} train / {len(sets['mnist1d'][1])} test.",
        "",
        "| dataset | model | fit time (s) | time / MLPClassifier | test accuracy "
        "| accuracy - MLPClassifier (points) |",
        "|---|---|---|---|---|---|",
    ]
    for dataset, model_name, times, scores in rows:
        reference = next(
            r for r in rows if r[0] == dataset and r[1].startswith("MLPClassifier")
        )
        lines.append(
            f"| {dataset} | {model_name} | {times.mean():.2f} ± {times.std():.2f} "
            f"| {times.mean() / reference[2].mean():.2f}x "
            f"| {scores.mean():.4f} ± {scores.std():.4f} "
            f"| {100 * (scores.mean() - reference[3].mean()):+.2f} |"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    with threadpool_limits(1):
        rows, sets = run(args.seeds)
    table = to_markdown(rows, sets, args.seeds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
