#!/bin/bash
# Rewrites tests/regress/anomaly/<case>.expected from the current sensor:
# run it after a deliberate change to a detector, the pack or the captures,
# then review `git diff tests/regress/anomaly/` before committing.
set -eu
cd "$(dirname "$0")/../../.."
make -s
python3 pcaps/generate.py pcaps
UPDATE=1 tests/regress/test_anomaly.sh
git --no-pager diff --stat -- tests/regress/anomaly/ || true
