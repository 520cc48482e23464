#!/usr/bin/env bash
# Tests the UniFFI binding (bindings/uniffi): builds the library, generates its Kotlin,
# Swift and Python bindings (scripts/uniffi-generate.sh), and runs the Python tests in
# tests/uniffi with pytest from a venv under target/uniffi-venv. The generated module is
# `loudcore_ffi`, so it never shadows the PyO3 package `loudcore`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/uniffi-generate.sh >/dev/null

venv=target/uniffi-venv
if ! "$venv/bin/python" -c "import pytest" >/dev/null 2>&1; then
  echo "== creating $venv with pytest"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pytest>=8,<10"
fi

echo "== pytest tests/uniffi"
# pytest exits non-zero (5) when it collects no test, and that fails this script too.
PYTHONDONTWRITEBYTECODE=1 LOUDCORE_UNIFFI_DIR="$(pwd)/target/uniffi" \
  "$venv/bin/python" -m pytest tests/uniffi -q "$@"
