#!/usr/bin/env bash
# Fuzz configuration loading with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS: how long each target runs (default 60). TARGET: config_load,
# sfvars_load (default: both). Crashes land in fuzz/artifacts/<target>/;
# add each one to tests/bad_inputs/ as a regression case once fixed.
#
# Toolchain: cargo-fuzz needs nightly (`-Z` flags). This script uses
# `cargo +nightly` when `rustup toolchain list` shows one; otherwise it falls
# back to the stable toolchain with RUSTC_BOOTSTRAP=1, which unlocks the same
# flags (both verified here: nightly, and stable 1.95 with RUSTC_BOOTSTRAP=1
# and `--target-dir` elsewhere). Either way it runs without a sanitizer (`-s none`): the code under
# test is safe Rust, so AddressSanitizer finds nothing extra, and skipping it
# halves build time and keeps the loader's big worker-thread stack cheap.
# Panics, hangs (-timeout) and stack overflows are what this looks for.
set -euo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(config_load sfvars_load)
fi

cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    echo "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1" >&2
    export RUSTC_BOOTSTRAP=1
fi

# Seed corpora: the examples and the bad-input regression cases.
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    if [ "$target" = config_load ]; then
        find examples tests/bad_inputs -name '*.hcl' -type f 2>/dev/null | while read -r f; do
            cp "$f" "$corpus/seed-$(echo "$f" | tr '/' '_')"
        done
    else
        find examples tests/bad_inputs -name '*.sfvars' -type f 2>/dev/null | while read -r f; do
            cp "$f" "$corpus/seed-$(echo "$f" | tr '/' '_')"
        done
    fi
done

for target in "${targets[@]}"; do
    echo "fuzzing $target for ${seconds}s" >&2
    # -timeout: any single input slower than 10 s counts as a hang.
    # -max_len: config files beyond 64 KiB add nothing the loader's size
    # checks do not already cover.
    cargo "${toolchain[@]}" fuzz run -s none "$target" -- \
        -max_total_time="$seconds" -timeout=10 -max_len=65536 -rss_limit_mb=4096
done
