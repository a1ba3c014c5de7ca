#!/usr/bin/env bash
# The whole test suite: unit and property tests, the protocol harness, the simulator's own
# tests, the end-to-end tests that drive the real terraform CLI (Terraform 1.15; the scope
# lifecycle and the complete example on every supported minor, 1.11 to 1.15), and the
# quickstart. Terraform is installed once, before the tests start, for every minor that is
# missing (scripts/install-terraform.sh); nothing is skipped.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

for minor in 1.11 1.12 1.13 1.14 1.15; do
  var="TERRAFORM_${minor/./_}"
  path=$(bash scripts/install-terraform.sh "$minor")
  export "$var=$path"
  echo "terraform $minor: $(env -u TF_CLI_CONFIG_FILE "$path" version | head -1)" >&2
done
export TERRAFORM="$TERRAFORM_1_15" CHECKPOINT_DISABLE=1

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
bash scripts/quickstart.sh
