#!/usr/bin/env bash
# The test suite, as CI and a newcomer run it: starts a throwaway PostgreSQL
# cluster on loopback (installing the server from Debian's packages when it
# is missing), runs `cargo test` with its URL in SOCIALFORM_TEST_PG, and
# removes the cluster afterwards, whatever happened. Arguments go to
# `cargo test` (e.g. `scripts/test.sh --test it postgres::`).
set -euo pipefail
cd "$(dirname "$0")/.."

# The TLS and proxy tests need openssl (to make this run's CA) and a real
# HTTP proxy (Debian's tinyproxy); as root, install what is missing.
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/sbin/tinyproxy ] || missing+=(tinyproxy)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]} from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "test.sh: the tests need ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export PATH="$PATH:/usr/sbin"

cluster=$(mktemp -d /tmp/socialform-pg.XXXXXX)
rmdir "$cluster"
tls_cluster=$(mktemp -d /tmp/socialform-pg-tls.XXXXXX)
rmdir "$tls_cluster"
cleanup() {
  scripts/pg-cluster.sh stop "$cluster"
  scripts/pg-cluster.sh stop "$tls_cluster"
}
trap cleanup EXIT INT TERM

SOCIALFORM_TEST_PG=$(scripts/pg-cluster.sh start "$cluster")
export SOCIALFORM_TEST_PG
SOCIALFORM_TEST_PG_BIN=$(cat "$cluster/bin")
export SOCIALFORM_TEST_PG_BIN
echo "test.sh: PostgreSQL $("$SOCIALFORM_TEST_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$(cat "$cluster/port") (throwaway, removed at exit)" >&2
# A second one with ssl = on and a CA made for it, for the TLS tests.
SOCIALFORM_TEST_PG_TLS=$(scripts/pg-cluster.sh start "$tls_cluster" --tls)
export SOCIALFORM_TEST_PG_TLS
export SOCIALFORM_TEST_PG_TLS_DIR="$tls_cluster/tls"
echo "test.sh: PostgreSQL with TLS on 127.0.0.1:$(cat "$tls_cluster/port") (CA in $SOCIALFORM_TEST_PG_TLS_DIR)" >&2

cargo test "$@"
