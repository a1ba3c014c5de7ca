#!/usr/bin/env bash
# The whole test suite: unit and property tests, the protocol harness, the simulator's own
# tests, the end-to-end tests that drive the real terraform CLI (Terraform 1.15, and the
# lifecycle test also on 1.11), and the quickstart. Terraform is installed when missing
# (scripts/install-terraform.sh); nothing is skipped.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

TERRAFORM=$(bash scripts/install-terraform.sh 1.15)
TERRAFORM_1_11=$(bash scripts/install-terraform.sh 1.11)
export TERRAFORM TERRAFORM_1_11 CHECKPOINT_DISABLE=1
echo "terraform: $("$TERRAFORM" version | head -1) / $("$TERRAFORM_1_11" version | head -1)" >&2

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
bash scripts/quickstart.sh
