#!/usr/bin/env bash
# Quickstart: build the provider and the simulator, start the simulator, and `terraform apply`
# both halves of examples/complete/ against it — the API provider's, then the API consumer's, each
# as its own organisation with the admin scopes Digdir typically hands out to its side — then
# show the result and prove a second plan has no changes (exit code 0).
#
#   scripts/quickstart.sh          # run, then stop the simulator
#   scripts/quickstart.sh --keep   # leave the simulator running and print how to use it
#
# The work is done by `cargo xtask quickstart` (xtask/src/quickstart.rs), with the same dev kit
# (devkit/) the tests and benchmarks use to get Terraform and wire a directory to our binary.
# Needs: cargo, and python3 when no terraform ≥ 1.11 is on PATH (one is installed under .tools/).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet --package xtask -- quickstart "$@"
