#!/usr/bin/env bash
# Quickstart: build the provider and the simulator, start the simulator, and `terraform apply`
# both halves of examples/complete/ against it — the API provider's, then the API consumer's, each
# as its own organisation — then show the result and prove a second plan has no changes.
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
env -u TF_CLI_CONFIG_FILE "$terraform" version | head -1 >&2

log "building the provider and the simulator"
cargo build --quiet --bins --manifest-path "$repo/Cargo.toml" --workspace
bindir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug

work="$repo/.quickstart"
rm -rf "$work" && mkdir -p "$work/sim"
cp -r "$repo/examples/complete/api-provider" "$repo/examples/complete/api-consumer" "$work/"

log "starting the simulator"
# Two organisations, each administration client granted what Digdir typically hands out to its
# side: 991825827 offers scopes under the prefix "demo" (scopes.read, scopes.write);
# 889640782 consumes them (dcr.read, dcr.write).
"$bindir/maskinporten-sim" --port 0 --dir "$work/sim" \
  --org 991825827:demo@scopes.read,scopes.write --org 889640782@dcr.read,dcr.write >"$work/sim.log" 2>&1 &
sim_pid=$!
cleanup() { $keep || kill "$sim_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do [[ -s "$work/sim/sim.url" ]] && break; sleep 0.1; done
[[ -s "$work/sim/sim.url" ]] || { cat "$work/sim.log" >&2; echo "simulator did not start" >&2; exit 1; }
log "simulator at $(cat "$work/sim/sim.url")"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/digdir/maskinporten" = "$bindir"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# Run terraform as one organisation: its <orgno>.env has one MASKINPORTEN_<NAME>=value per line
# (PEM newlines written as \n), exported only for this command.
as_org() {
  local orgno=$1 dir=$2
  shift 2
  (
    while IFS= read -r line; do [[ -n "$line" ]] && export "${line?}"; done <"$work/sim/$orgno.env"
    cd "$work/$dir" && "$terraform" "$@"
  )
}

log "API provider (991825827): terraform apply"
as_org 991825827 api-provider apply -auto-approve -input=false -var consumer_orgno=889640782
scope=$(as_org 991825827 api-provider output -raw scope)
log "API consumer (889640782): terraform apply, using $scope"
export TF_VAR_scope="$scope" TF_VAR_client_public_key_pem="$(cat "$work/sim/example-client.pub.pem")"
as_org 889640782 api-consumer apply -auto-approve -input=false
log "what Terraform manages"
as_org 991825827 api-provider state list
as_org 889640782 api-consumer state list
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
log "second plans (expect: No changes, exit code 0, as a drift-detection job checks)"
as_org 991825827 api-provider plan -input=false -detailed-exitcode -var consumer_orgno=889640782
as_org 889640782 api-consumer plan -input=false -detailed-exitcode

if $keep; then
  cat >&2 <<MSG

The simulator keeps running (pid $sim_pid). To continue by hand, as the API provider:
  cd $work/api-provider
  while IFS= read -r l; do [ -n "\$l" ] && export "\$l"; done < $work/sim/991825827.env
  export TF_CLI_CONFIG_FILE=$work/terraformrc
  $terraform plan -var consumer_orgno=889640782
(the consumer's credentials are in $work/sim/889640782.env). Stop it with: kill $sim_pid
MSG
fi
