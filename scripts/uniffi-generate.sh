#!/usr/bin/env bash
# Builds the UniFFI library (loudcore-ffi, release) and generates its Kotlin, Swift and
# Python bindings into target/uniffi/ with the uniffi-bindgen of this workspace (so the
# generator always matches the uniffi runtime the library links).
#
#   scripts/uniffi-generate.sh            # -> target/uniffi/{uniffi/loudcore_ffi/loudcore_ffi.kt,
#                                         #    loudcore_ffi.swift, loudcore_ffiFFI.h,
#                                         #    loudcore_ffiFFI.modulemap, loudcore_ffi.py,
#                                         #    libloudcore_ffi.so}
#
# The library copied beside loudcore_ffi.py is what the generated Python module loads.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/uniffi
case "$(uname -s)" in
  Darwin) lib=libloudcore_ffi.dylib ;;
  *) lib=libloudcore_ffi.so ;;
esac

# The library is where cargo builds it (CARGO_TARGET_DIR, else the workspace's target/).
built=${CARGO_TARGET_DIR:-target}/release

echo "== cargo build --release -p loudcore-ffi" >&2
cargo build --release -p loudcore-ffi >&2

rm -rf "$out"
mkdir -p "$out"
echo "== uniffi-bindgen generate (kotlin, swift, python) -> $out" >&2
# --no-format: ktlint/swiftformat are not installed here and formatting is cosmetic.
cargo run --release -q -p uniffi-bindgen -- generate \
  --library "$built/$lib" \
  --language kotlin --language swift --language python \
  --no-format \
  --out-dir "$out" >&2
cp "$built/$lib" "$out/"
find "$out" -type f | sort
