#!/usr/bin/env bash
# Build and sign a release, in two separate steps:
#
#   scripts/release.sh build [--profile release|dev] [--out DIR]
#   scripts/release.sh sign  [--out DIR]          (needs GPG_FINGERPRINT; GPG_PASSPHRASE optional)
#
# `build` writes into DIR (default dist/), for the host platform:
#   terraform-provider-maskinporten_<version>_<os>_<arch>.zip   the provider, named _v<version>
#   terraform-provider-maskinporten_<version>_manifest.json       {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#   maskinporten-sim_<version>_<os>_<arch>.zip                    the simulator, for `terraform test` without Digdir
#   terraform-provider-maskinporten_<version>_SHA256SUMS          sha256 of exactly those three files
# `sign` writes terraform-provider-maskinporten_<version>_SHA256SUMS.sig, a detached binary GPG
# signature made with the key GPG_FINGERPRINT names (40 hex digits), from the default keyring or
# $GNUPGHOME; with GPG_PASSPHRASE set it is passed on stdin.
#
# The build runs `cargo build --locked` in a clean environment — only PATH, HOME and the Rust
# toolchain's own variables — so no build script or proc-macro of any dependency can read the
# releaser's signing secrets, and the sign step never builds anything. The version comes from
# Cargo.toml. See the README for the other platforms.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-maskinporten
usage="usage: scripts/release.sh build [--profile release|dev] [--out DIR] | scripts/release.sh sign [--out DIR]"
step=${1:-}
[[ "$step" == build || "$step" == sign ]] || { echo "$usage" >&2; exit 2; }
shift
profile=release out="$repo/dist"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "release.sh: no version in Cargo.toml" >&2; exit 1; }
sums="$out/${name}_${version}_SHA256SUMS"

if [[ "$step" == sign ]]; then
  : "${GPG_FINGERPRINT:?set GPG_FINGERPRINT to the fingerprint of the signing key}"
  if ! [[ "$GPG_FINGERPRINT" =~ ^[0-9A-Fa-f]{40}$ ]]; then
    echo "release.sh: GPG_FINGERPRINT must be a key's full fingerprint, 40 hex digits (gpg --list-secret-keys --with-colons, the fpr line)" >&2
    exit 2
  fi
  [[ -f "$sums" ]] || { echo "release.sh: $sums is missing: run the build step first" >&2; exit 1; }
  (cd "$out" && sha256sum --check --quiet "$(basename "$sums")") || { echo "release.sh: the artefacts differ from $sums" >&2; exit 1; }
  sig="$sums.sig"
  rm -f "$sig"
  if [[ -n "${GPG_PASSPHRASE:-}" ]]; then
    printf '%s' "$GPG_PASSPHRASE" | gpg --batch --yes --pinentry-mode loopback --passphrase-fd 0 --local-user "$GPG_FINGERPRINT" --detach-sign --output "$sig" "$sums"
  else
    gpg --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign --output "$sig" "$sums"
  fi
  echo "$sig"
  exit 0
fi

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS" >&2; exit 1 ;; esac
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "unsupported arch" >&2; exit 1 ;; esac

# The toolchain's own variables pass; nothing else of the caller's environment does.
clean_env=(PATH="$PATH" HOME="$HOME")
for v in CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN CARGO_TARGET_DIR CC CXX TMPDIR; do
  [[ -n "${!v:-}" ]] && clean_env+=("$v=${!v}")
done
env -i "${clean_env[@]}" cargo build --quiet --locked --manifest-path "$repo/Cargo.toml" --workspace \
  --bin "$name" --bin maskinporten-sim --profile "$profile"
dir=$([[ "$profile" == dev ]] && echo debug || echo "$profile")
target=$(env -i "${clean_env[@]}" cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
provider_zip="${name}_${version}_${os}_${arch}.zip"
sim_zip="maskinporten-sim_${version}_${os}_${arch}.zip"
manifest="${name}_${version}_manifest.json"
cp "$target/$dir/$name" "$stage/${name}_v${version}"
cp "$target/$dir/maskinporten-sim" "$stage/maskinporten-sim"
rm -f "$out/$provider_zip" "$out/$sim_zip" "$sums" "$sums.sig"
(cd "$stage" && zip -q -X "$out/$provider_zip" "${name}_v${version}" && zip -q -X "$out/$sim_zip" maskinporten-sim)
printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$out/$manifest"
# Exactly the artefacts of this build, named one by one: nothing else lying in DIR is signed.
(cd "$out" && sha256sum "$provider_zip" "$sim_zip" "$manifest" >"$sums")
echo "$out/$provider_zip"
