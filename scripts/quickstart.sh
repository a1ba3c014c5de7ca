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
# Two organisations: 991825827 offers scopes under the prefix "demo"; 889640782 consumes them.
"$bindir/maskinporten-sim" --port 0 --dir "$work/sim" --org 991825827:demo --org 889640782 >"$work/sim.log" 2>&1 &
sim_pid=$!
cleanup() { $keep || kill "$sim_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do [[ -s "$work/sim/sim.url" ]] && break; sleep 0.1; done
[[ -s "$work/sim/sim.url" ]] || { cat "$work/sim.log" >&2; echo "simulator did not start" >&2; exit 1; }
log "simulator at $(cat "$work/sim/sim.url")"

# provider.env has one MASKINPORTEN_<NAME>=value per line (PEM newlines written as \n).
while IFS= read -r line; do [[ -n "$line" ]] && export "${line?}"; done <"$work/sim/provider.env"
# The consumer's provider block takes its credentials from variables.
consumer_var() { grep "^MASKINPORTEN_$1=" "$work/sim/889640782.env" | cut -d= -f2-; }
export TF_VAR_consumer_orgno=889640782
TF_VAR_consumer_client_id=$(consumer_var CLIENT_ID)
TF_VAR_consumer_private_key_pem=$(consumer_var PRIVATE_KEY_PEM)
TF_VAR_consumer_certificate_chain_pem=$(consumer_var CERTIFICATE_CHAIN_PEM)
TF_VAR_client_public_key_pem=$(cat "$work/sim/example-client.pub.pem")
export TF_VAR_consumer_client_id TF_VAR_consumer_private_key_pem TF_VAR_consumer_certificate_chain_pem TF_VAR_client_public_key_pem
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
    print(f'  scope  {s["name"]:<30} active={s["active"]}  owner={s.get("owner_orgno")}')
for a in state.get("accesses", []):
    print(f'  grant  {a["scope"]:<30} to {a["consumer_orgno"]} ({a["consumer_organization_name"]}) {a["state"]}')
for c in state.get("clients", []):
    keys = [k["kid"] for k in state.get("keys", {}).get(c["client_id"], [])]
    print(f'  client {c["client_name"]:<30} {c["client_id"]} of {c["client_orgno"]} scopes={c["scopes"]} keys={keys}')
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
