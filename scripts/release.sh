#!/usr/bin/env bash
# Build the registry artefacts of a release into dist/:
#   terraform-provider-maskinporten_<version>_<os>_<arch>.zip   the binary, named _v<version>
#   terraform-provider-maskinporten_<version>_SHA256SUMS          sha256 of every zip
#   terraform-provider-maskinporten_<version>_SHA256SUMS.sig      detached GPG signature (binary)
#   terraform-provider-maskinporten_<version>_manifest.json       {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#
#   scripts/release.sh [--profile release|dev] [--out DIR]
#
# The version comes from Cargo.toml. The signing key comes from the releaser's environment:
# GPG_FINGERPRINT (the key to sign with) in the default keyring or in $GNUPGHOME; with
# GPG_PASSPHRASE set, it is passed on stdin. Builds for the host platform; see the README for
# the other platforms.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
profile=release out="$repo/dist"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: scripts/release.sh [--profile release|dev] [--out DIR]" >&2; exit 2 ;;
  esac
done
: "${GPG_FINGERPRINT:?set GPG_FINGERPRINT to the fingerprint of the signing key}"

name=terraform-provider-maskinporten
version=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="terraform-provider-maskinporten"))')
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS" >&2; exit 1 ;; esac
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "unsupported arch" >&2; exit 1 ;; esac

cargo build --quiet --manifest-path "$repo/Cargo.toml" --bin "$name" --profile "$profile"
dir=$([[ "$profile" == dev ]] && echo debug || echo "$profile")
bin="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/$dir/$name"

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/${name}_v${version}"
zipname="${name}_${version}_${os}_${arch}.zip"
rm -f "$out/$zipname"
(cd "$stage" && zip -q -X "$out/$zipname" "${name}_v${version}")
printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$out/${name}_${version}_manifest.json"
(cd "$out" && sha256sum ${name}_${version}_*.zip ${name}_${version}_manifest.json >"${name}_${version}_SHA256SUMS")
sig="$out/${name}_${version}_SHA256SUMS.sig"
rm -f "$sig"
if [[ -n "${GPG_PASSPHRASE:-}" ]]; then
  printf '%s' "$GPG_PASSPHRASE" | gpg --batch --yes --pinentry-mode loopback --passphrase-fd 0 --local-user "$GPG_FINGERPRINT" --detach-sign --output "$sig" "$out/${name}_${version}_SHA256SUMS"
else
  gpg --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign --output "$sig" "$out/${name}_${version}_SHA256SUMS"
fi
echo "$out/$zipname"
