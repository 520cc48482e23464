#!/usr/bin/env bash
# Python binding tests: installs python/ into a virtualenv the way a user would
# (`pip install ./python`: pip fetches maturin from PyPI and builds the abi3 wheel), then
# runs the pytest suite in python/tests (values on synthesised EBU signals, errors, threads,
# cancellation, asyncio, and the type stub checked against the module with mypy).
#
# The virtualenv lives in target/py-venv and is reused while it is healthy; cargo builds
# into the workspace's target/ (CARGO_TARGET_DIR), so a warm run only re-links what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
venv=$root/target/py-venv
# CPython 3.11 (the oldest the abi3 wheel supports, and what the README asks for);
# LOUDCORE_PYTHON picks another interpreter.
python=${LOUDCORE_PYTHON:-}
if [[ -z $python ]]; then
  if command -v python3.11 >/dev/null 2>&1; then python=python3.11; else python=python3; fi
fi
want=$("$python" -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed"; print("%d.%d" % sys.version_info[:2])')
log=$root/target/py-build.log
mkdir -p "$root/target"

healthy() {
  [[ -x $venv/bin/python ]] &&
    [[ $("$venv/bin/python" -c 'import sys, pip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) == "$want" ]] &&
    "$venv/bin/python" -c 'import pytest, mypy' 2>/dev/null
}

started=$SECONDS
if ! healthy; then
  echo "== creating $venv ($python, Python $want)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "pytest>=8" "mypy>=1.10"
fi

echo "== pip install ./python (maturin, release build; log: target/py-build.log)"
# --force-reinstall --no-deps: the version does not change between builds, so make pip
# install the wheel it just built; the test tools were installed above.
if ! "$venv/bin/python" -m pip install -v --disable-pip-version-check --force-reinstall --no-deps \
  ./python >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "pip install ./python failed (full log: $log)" >&2
  exit 1
fi
echo "   built and installed in $((SECONDS - started)) s"

echo "== pytest python/tests"
cd "$root/python"
export MYPY_CACHE_DIR=$root/target/mypy-cache
# pytest exits non-zero on failures and also (code 5) when it collects no test.
"$venv/bin/python" -m pytest tests -q -p no:cacheprovider "$@"
