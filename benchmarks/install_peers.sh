#!/usr/bin/env bash
# Install the peer libraries the benchmarks compare against, into the active
# environment (never a runtime or test dependency of skactive).
#   modAL-python: --no-deps, because it pins an old skorch.
#   batchbald_redux: --no-deps, plus its helper toma.
set -euo pipefail
pip install --no-deps "modAL-python==0.4.2.1"
pip install "scikit-activeml==1.0.1" "baal==2.1.0"
pip install --no-deps "batchbald_redux==2.0.5"
pip install toma
