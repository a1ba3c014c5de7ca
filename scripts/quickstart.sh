#!/usr/bin/env bash
# Quickstart: build the provider and the simulator, start the simulator, and `terraform apply`
# examples/complete/ against it; then show the result and prove a second plan has no changes.
#
#   scripts/quickstart.sh          # run, then stop the simulator
#   scripts/quickstart.sh --keep   # leave the simulator running and print how to use it
#
# Needs: cargo, python3 (only when terraform ≥ 1.11 is not on PATH; one is installed under .tools/).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=false
[[ "${1:-}" == "--keep" ]] && keep=true
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

log "terraform"
terraform=$(bash "$repo/scripts/install-terraform.sh" 1.15)
"$terraform" version | head -1 >&2

log "building the provider and the simulator"
cargo build --quiet --bins --manifest-path "$repo/Cargo.toml" --workspace
bindir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug

work="$repo/.quickstart"
rm -rf "$work" && mkdir -p "$work/sim" "$work/tf"
cp "$repo"/examples/complete/*.tf "$work/tf/"

log "starting the simulator"
"$bindir/maskinporten-sim" --port 0 --dir "$work/sim" >"$work/sim.log" 2>&1 &
sim_pid=$!
cleanup() { $keep || kill "$sim_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do [[ -s "$work/sim/sim.url" ]] && break; sleep 0.1; done
[[ -s "$work/sim/sim.url" ]] || { cat "$work/sim.log" >&2; echo "simulator did not start" >&2; exit 1; }
log "simulator at $(cat "$work/sim/sim.url")"

# provider.env has one MASKINPORTEN_<NAME>=value per line (PEM newlines written as \n).
while IFS= read -r line; do [[ -n "$line" ]] && export "${line?}"; done <"$work/sim/provider.env"
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/digdir/maskinporten" = "$bindir"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

cd "$work/tf"
log "terraform apply"
"$terraform" apply -auto-approve -input=false
log "what Terraform manages"
"$terraform" state list
log "what the simulator holds"
python3 - "$(cat "$work/sim/sim.url")" <<'PY'
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/__sim/state"))
for s in state.get("scopes", []):
    print(f'  scope {s["name"]:<28} active={s["active"]}  owner={s.get("owner_orgno")}')
PY
log "second plan (expect: No changes)"
"$terraform" plan -input=false -detailed-exitcode

if $keep; then
  cat >&2 <<MSG

The simulator keeps running (pid $sim_pid). To continue by hand:
  cd $work/tf
  while IFS= read -r l; do [ -n "\$l" ] && export "\$l"; done < $work/sim/provider.env
  export TF_CLI_CONFIG_FILE=$work/terraformrc
  $terraform plan
Stop it with: kill $sim_pid
MSG
fi
