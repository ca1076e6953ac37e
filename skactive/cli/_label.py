"""``python -m skactive label``: serve a labeling page for a pool on disk, or
``--demo`` for scikit-learn's digits with the default net.

The pool is a ``.npy`` array (rows of numbers; images when it has more than two
dimensions) or a ``.csv`` / ``.parquet`` table (its numeric columns are the
features; ``--text-column`` shows a text column instead of the row). Labels are
stored at ``--url`` as they arrive; running the command again resumes.
"""

import secrets
import signal
import threading

import numpy as np

__all__ = ["add_label_parser", "label_command"]

DEMO_URL = "sqlite:///skactive_demo.db"


def add_label_parser(commands, positive_int):
    parser = commands.add_parser(
        "label",
        help="serve a labeling page in the browser (--demo: digits)",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("data", nargs="?", help="the pool: .npy, .csv or .parquet")
    parser.add_argument(
        "--demo", action="store_true", help="digits (8x8 images) and the default net"
    )
    parser.add_argument("--classes", help="the labels, comma separated: cat,dog")
    parser.add_argument(
        "--url", help=f"where labels are stored ({DEMO_URL} for --demo)"
    )
    parser.add_argument("--budget", type=positive_int, help="labels to stop at")
    parser.add_argument("--batch-size", type=positive_int, default=10)
    parser.add_argument(
        "--estimator", choices=("mlp", "logreg"), default="mlp", help="the model"
    )
    parser.add_argument("--image-shape", help="show rows as images: 8x8 or 28x28x3")
    parser.add_argument("--text-column", help="a table column shown as text")
    parser.add_argument("--id-column", help="a table column of item ids")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8765, help="0: any free port")
    parser.add_argument(
        "--token", help="secret every request carries (made up when --host is public)"
    )
    parser.add_argument("--annotator", default="default", help="name in the link")
    parser.add_argument("--open", action="store_true", help="open a browser tab")


def _image_shape(text):
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(f"--image-shape must look like 8x8 or 28x28x3, got {text!r}")
    return shape


def load_pool(args):
    """``(X, session options, classes)`` for the parsed arguments."""
    if args.demo:
        from sklearn.datasets import load_digits

        digits = load_digits()
        X = (digits.data / 16.0).astype(np.float32)
        return X, {"image_shape": (8, 8)}, list(range(10))
    if args.data is None or args.classes is None:
        raise ValueError(
            "label needs a pool and its classes: python -m skactive label "
            "pool.npy --classes cat,dog (or --demo)"
        )
    classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    if len(classes) < 2:
        raise ValueError(f"--classes needs at least two labels, got {args.classes!r}")
    options = {"image_shape": _image_shape(args.image_shape)}
    path = args.data
    if path.endswith(".npy"):
        array = np.load(path, allow_pickle=False)
        if array.ndim > 2:  # images: the model sees them flat
            options["display"] = array
            array = array.reshape(array.shape[0], -1)
        return np.asarray(array, dtype=np.float32), options, classes
    if not path.endswith((".csv", ".parquet")):
        raise ValueError(f"the pool must be .npy, .csv or .parquet, got {path!r}")
    import pandas as pd

    frame = pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
    for name in (args.text_column, args.id_column):
        if name is not None and name not in frame.columns:
            raise ValueError(f"the table has no column {name!r}: {list(frame.columns)}")
    if args.text_column is not None:
        options["display"] = frame[args.text_column].astype(str).tolist()
    if args.id_column is not None:
        options["ids"] = frame[args.id_column].to_numpy()
    X = frame.select_dtypes("number")
    if args.id_column is not None:
        X = X.drop(columns=args.id_column, errors="ignore")
    if X.shape[1] == 0:
        raise ValueError("the table has no numeric column to learn from")
    return X, options, classes


def label_command(args, out):
    """Serve the page until interrupted (Ctrl-C or SIGTERM)."""
    from skactive import ActiveLearner, LabelingSession
    from skactive.cli._demo import make_estimator
    from skactive.session import PageFrame

    X, options, classes = load_pool(args)
    url = args.url or (DEMO_URL if args.demo else None)
    if url is None:
        raise ValueError("--url is needed: where the labels are stored")
    token = args.token
    if args.host not in ("127.0.0.1", "localhost", "::1") and token is None:
        token = secrets.token_urlsafe(24)
    learner = ActiveLearner(
        make_estimator(args.estimator),
        batch_size=args.batch_size,
        classes=classes,
        random_state=0,
    )
    session = LabelingSession(
        learner,
        X,
        url,
        budget=args.budget or (200 if args.demo else None),
        background_refit=True,
        **options,
    )
    stop = threading.Event()
    try:
        server = session.serve(host=args.host, port=args.port, token=token)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        progress = session.progress()
        print(
            f"skactive labeling: {progress['n_items']} items, "
            f"{progress['n_labeled']} labeled, stored at {url}",
            file=out,
        )
        page = PageFrame(server, annotator=args.annotator).url
        print(f"Labeling page: {page}", file=out, flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(page)
        stop.wait()
        server.stop()
    finally:
        session.close()
