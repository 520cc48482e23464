#!/usr/bin/env bash
# Builds the Node package (napi-rs, release, into the shared target/) and runs its tests:
# node --test (values, Buffer input, progress, abort, one test per error code, event loop,
# concurrency) and the TypeScript check of index.d.ts. Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/../node"

command -v node >/dev/null || { echo "error: node (20 or later) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm is required" >&2; exit 1; }

echo "== npm install (node $(node --version))"
npm install --no-audit --no-fund
echo "== npm run build"
npm run build
echo "== npm test"
npm test
