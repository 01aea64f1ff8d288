#!/usr/bin/env bash
# Installs everything hactl and its lab need on a Debian machine, as root. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Debian packages the host lab (test/lab) runs on the outer machine: mmdebstrap builds the hosts'
# base image, apt/dpkg-dev build the local mirror, iproute2 wires the namespaces, openssh-client
# talks to the hosts, util-linux provides nsenter/unshare.
# etcd-server, etcd-client and openssl: the Kubernetes stand-ins' own tests and the etcd membership
# unit tests run a real etcd (and etcdctl) on loopback.
# gnupg signs the mirror's per-minor Kubernetes repositories with the lab's key.
# prometheus: promtool checks the metrics and alerting rules of `drift --listen` (unit tests), and
# the monitoring end-to-end test runs a real Prometheus; chromium renders its status page there.
lab_packages=(mmdebstrap apt dpkg-dev iproute2 openssh-client util-linux procps gzip ca-certificates etcd-server etcd-client openssl gnupg prometheus chromium)
missing=()
for p in "${lab_packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-qq -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  apt_log=$(mktemp)
  trap 'rm -f "$apt_log"' EXIT
  # One index refresh; an unreachable third-party source must not stop the install.
  apt-get "${apt_opts[@]}" update >"$apt_log" 2>&1 || echo "setup: apt-get update reported errors, continuing" >&2
  # Packages with daemons (etcd) must not start one on this machine: deny service starts while
  # installing, unless the machine already has its own policy.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  if ! apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; then
    [ "$own_policy" = 1 ] && rm -f "$policy"
    cat "$apt_log" >&2
    exit 1
  fi
  [ "$own_policy" = 1 ] && rm -f "$policy"
  echo "setup: installed ${missing[*]}"
fi
