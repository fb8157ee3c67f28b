#!/usr/bin/env bash
# What a new script context costs, and the first use of the lazy preludes
# (kv and the utilities, fetch, assets): medians of 400 fresh contexts each,
# in a release build. Usage: bash bench/context.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/aiwebengine-target}"
cargo test --release -q --lib --no-run
taskset -c "${CPU:-0}" cargo test --release -q --lib prelude::bench -- --ignored --nocapture --test-threads 1 2>&1 \
  | grep -E 'median'
