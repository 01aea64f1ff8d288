#!/usr/bin/env bash
# Builds the Kubernetes stand-in Debian packages (kubeadm, kubelet, kubectl, cri-tools, kubernetes-cni)
# into OUTDIR. No network; deterministic for a given source tree (timestamps from SOURCE_DATE_EPOCH).
set -euo pipefail
OUT=${1:?usage: build.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Kubernetes versions built (two patches of the newest minor for patch upgrades, one of each other
# supported minor for minor upgrades) and the cri-tools each pairs with (pkgs.k8s.io ships
# cri-tools v1.N.0 in the v1.N repository).
K8S_VERSIONS=${K8S_VERSIONS:-"1.34.9 1.35.9 1.36.4 1.37.1 1.37.2"}
declare -A CRI=([1.34]=1.34.0 [1.35]=1.35.0 [1.36]=1.36.0 [1.37]=1.37.0)
# etcd image tag the real kubeadm of each minor writes into etcd.yaml (SupportedEtcdVersion in
# cmd/kubeadm/app/constants/constants.go; 3.6.9-0 since kubernetes#137956 for 1.34-1.36).
declare -A ETCD=([1.34]=3.6.9-0 [1.35]=3.6.9-0 [1.36]=3.6.9-0 [1.37]=3.6.9-0)
# pause image kubeadm expects per minor (PauseVersion in the same file): 3.10.1 from 1.34, 3.10.2 from 1.36.
declare -A PAUSE=([1.34]=3.10.1 [1.35]=3.10.1 [1.36]=3.10.2 [1.37]=3.10.2)
CNI_VERSION=1.7.1
REV=1.1

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 1700000000)}
BUILD_DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The yaml package as one CommonJS file with its licence: the hosts have Node but no npm.
YAMLDIR=$WORK/yaml
mkdir -p "$YAMLDIR"
"$ROOT/node_modules/.bin/esbuild" "$ROOT/node_modules/yaml/dist/index.js" --bundle --platform=node --format=cjs \
  --log-level=warning --outfile="$YAMLDIR/index.js"
cp "$ROOT/node_modules/yaml/LICENSE" "$YAMLDIR/LICENSE"
YAML_VERSION=$(node -p "require('$ROOT/node_modules/yaml/package.json').version")
printf '{"name":"yaml","version":"%s","main":"index.js","license":"ISC"}\n' "$YAML_VERSION" >"$YAMLDIR/package.json"

SRC_HASH=$(cd "$HERE/src" && find . -type f -name '*.js' | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -c1-40)

# tree DEST VERSION: the Node program tree (bin, lib, bundled yaml, version.json) of one version.
tree() {
  local dest=$1 ver=$2
  mkdir -p "$dest/node_modules"
  cp -r "$HERE/src/bin" "$HERE/src/lib" "$dest/"
  cp -r "$YAMLDIR" "$dest/node_modules/yaml"
  chmod 0755 "$dest"/bin/*.js
  printf '{"type":"module"}\n' >"$dest/package.json"
  local commit
  commit=$(printf '%s %s' "$SRC_HASH" "$ver" | sha1sum | cut -c1-40)
  printf '{"gitVersion":"v%s","gitCommit":"%s","buildDate":"%s","etcdImage":"%s","pauseImage":"registry.k8s.io/pause:%s"}\n' \
    "$ver" "$commit" "$BUILD_DATE" "${ETCD[${ver%.*}]:-}" "${PAUSE[${ver%.*}]:-}" >"$dest/version.json"
}

# pkg NAME VERSION STAGE DEPENDS DESCRIPTION
pkg() {
  local name=$1 ver=$2 stage=$3 deps=$4 desc=$5
  mkdir -p "$stage/DEBIAN"
  local size
  size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  {
    echo "Package: $name"
    echo "Version: $ver"
    echo "Architecture: amd64"
    echo "Maintainer: hactl lab <lab@hactl.invalid>"
    echo "Installed-Size: $size"
    [ -n "$deps" ] && echo "Depends: $deps"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: https://kubernetes.io"
    echo "Description: $desc"
    echo " Lab stand-in built by hactl's test/lab/standins; see docs/lab-standins.md."
  } >"$stage/DEBIAN/control"
  find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz -z1 -b "$stage" "$OUT/${name}_${ver}_amd64.deb" >/dev/null
}

link() { mkdir -p "$(dirname "$2")"; ln -sf "$1" "$2"; }

for v in $K8S_VERSIONS; do
  minor=${v%.*}
  cri=${CRI[$minor]}
  # kubeadm: the CLI plus the control-plane "images" of its own version (pulled into the host's image store).
  s=$WORK/kubeadm-$v
  tree "$s/usr/lib/kube-standins/kubeadm" "$v"
  link ../lib/kube-standins/kubeadm/bin/kubeadm.js "$s/usr/bin/kubeadm"
  pkg kubeadm "$v-$REV" "$s" "cri-tools (>= ${cri%.*}.0), nodejs (>= 18), openssl" "Command-line utility for administering a Kubernetes cluster"

  s=$WORK/kubectl-$v
  tree "$s/usr/lib/kube-standins/kubectl" "$v"
  link ../lib/kube-standins/kubectl/bin/kubectl.js "$s/usr/bin/kubectl"
  pkg kubectl "$v-$REV" "$s" "nodejs (>= 18)" "Command-line utility for interacting with a Kubernetes cluster"

  s=$WORK/kubelet-$v
  tree "$s/usr/lib/kube-standins/kubelet" "$v"
  link ../lib/kube-standins/kubelet/bin/kubelet.js "$s/usr/bin/kubelet"
  install -D -m0644 "$HERE/pkg/kubelet.service" "$s/usr/lib/systemd/system/kubelet.service"
  install -D -m0644 "$HERE/pkg/10-kubeadm.conf" "$s/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
  mkdir -p "$s/etc/kubernetes/manifests"
  install -D -m0755 "$HERE/pkg/kubelet.postinst" "$s/DEBIAN/postinst"
  pkg kubelet "$v-$REV" "$s" "iptables (>= 1.4.21), kubernetes-cni (>= 1.2.0), iproute2, socat, util-linux, mount, ebtables, ethtool, conntrack, nodejs (>= 18), openssl, etcd-server (>= 3.4)" "Node agent for Kubernetes clusters"
done

for cri in $(printf '%s\n' "${CRI[@]}" | sort -u); do
  s=$WORK/cri-tools-$cri
  tree "$s/usr/lib/kube-standins/cri-tools" "$cri"
  link ../lib/kube-standins/cri-tools/bin/crictl.js "$s/usr/bin/crictl"
  pkg cri-tools "$cri-$REV" "$s" "nodejs (>= 18)" "Command-line utility for interacting with a container runtime"
done

s=$WORK/kubernetes-cni
mkdir -p "$s/opt/cni/bin"
install -D -m0755 "$HERE/pkg/kubernetes-cni.postinst" "$s/DEBIAN/postinst"
install -D -m0755 "$HERE/pkg/kubernetes-cni.prerm" "$s/DEBIAN/prerm"
pkg kubernetes-cni "$CNI_VERSION-$REV" "$s" "containernetworking-plugins" "Binaries required to provision kubernetes container networking"

echo "built $(ls "$OUT"/*.deb | wc -l) packages in $OUT" >&2
