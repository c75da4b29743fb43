#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the tests and benches.
#
#   scripts/pg-cluster.sh start DIR   # prints the connection URL on stdout
#   scripts/pg-cluster.sh start DIR --tls
#                                     # the same with ssl = on: a CA made for
#                                     # this cluster in DIR/tls (see make_tls)
#   scripts/pg-cluster.sh stop DIR    # stops it and removes DIR
#   scripts/pg-cluster.sh halt DIR    # stops the server at once (-m immediate), keeps DIR
#   scripts/pg-cluster.sh resume DIR  # starts a halted server again, same port
#
# Installs Debian's postgresql package when no server binaries are found
# (as root; otherwise says what to install). The server refuses to run as
# root, so as root the cluster belongs to the unprivileged `postgres` user
# the package creates (or `sfpg`, created here when that is missing). It
# listens on 127.0.0.1 only, on a free port, with password authentication;
# the password is random and only ever in the URL this prints.
set -euo pipefail

server_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

install_server() {
  if [ "$(id -u)" != 0 ]; then
    echo "pg-cluster: no PostgreSQL server found; install Debian's postgresql package (sudo apt-get install postgresql)" >&2
    exit 1
  fi
  echo "pg-cluster: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # The package's own cluster is not needed; a policy that forbids starting
  # services keeps it from being started where it could.
  apt-get install -y -qq postgresql >&2
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

pick_owner() {
  if [ "$(id -u)" != 0 ]; then
    OWNER=$(id -un)
  elif id postgres >/dev/null 2>&1; then
    OWNER=postgres
  else
    id sfpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin sfpg
    OWNER=sfpg
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

# A CA of the cluster's own, a server certificate it signs for the name
# `localhost` only (so a client that checks host names refuses 127.0.0.1),
# a client certificate for the role `certuser` (which may only log in with
# it), and a second CA that signed none of them. Files the tests read are
# left readable; the server's key belongs to the owner, 0600.
make_tls() {
  local tls=$1
  mkdir -p "$tls"
  local days=2
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/ca.pem" \
    -days $days -subj "/CN=socialform test CA" >/dev/null 2>&1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/other-ca.key" -out "$tls/other-ca.pem" \
    -days $days -subj "/CN=another test CA" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -keyout "$tls/server.key" -out "$tls/server.csr" \
    -subj "/CN=localhost" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost\n' > "$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -out "$tls/server.crt" -days $days -extfile "$tls/server.ext" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -keyout "$tls/client.key" -out "$tls/client.csr" \
    -subj "/CN=certuser" >/dev/null 2>&1
  printf 'extendedKeyUsage=clientAuth\n' > "$tls/client.ext"
  openssl x509 -req -in "$tls/client.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -out "$tls/client.crt" -days $days -extfile "$tls/client.ext" >/dev/null 2>&1
  rm -f "$tls"/*.csr "$tls"/*.ext "$tls"/*.srl
  chmod 0600 "$tls"/*.key
  chmod 0755 "$tls"
}

start() {
  local dir=$1
  local tls=${2:-}
  local bin
  bin=$(server_bin) || { install_server; bin=$(server_bin); }
  pick_owner
  mkdir -p "$dir"
  chmod 0700 "$dir"
  local password
  password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  printf '%s\n' "$password" > "$dir/pwfile"
  [ "$(id -u)" = 0 ] && chown -R "$OWNER" "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U socialform --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"
  if [ "$tls" = --tls ]; then
    make_tls "$dir/tls"
    # The server reads its own key: a copy that belongs to it.
    cp "$dir/tls/server.key" "$dir/data/server.key"
    cp "$dir/tls/server.crt" "$dir/data/server.crt"
    cp "$dir/tls/ca.pem" "$dir/data/root.crt"
    [ "$(id -u)" = 0 ] && chown "$OWNER" "$dir/data/server.key" "$dir/data/server.crt" "$dir/data/root.crt"
    chmod 0600 "$dir/data/server.key"
    cat >> "$dir/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_ca_file = 'root.crt'
CONF
    # certuser logs in by certificate only, over TLS; everyone else as before.
    { echo "hostssl all certuser 127.0.0.1/32 cert"; cat "$dir/data/pg_hba.conf"; } > "$dir/data/pg_hba.new"
    mv "$dir/data/pg_hba.new" "$dir/data/pg_hba.conf"
    [ "$(id -u)" = 0 ] && chown "$OWNER" "$dir/data/pg_hba.conf"
  fi
  local port
  port=$(free_port)
  echo "$bin" > "$dir/bin"
  echo "$port" > "$dir/port"
  run_server "$dir"
  if [ "$tls" = --tls ]; then
    as_owner "$bin/psql" -h "$dir" -p "$port" -U socialform -d postgres -q \
      -c "CREATE ROLE certuser LOGIN; GRANT ALL ON DATABASE postgres TO certuser; GRANT CREATE ON SCHEMA public TO certuser" >/dev/null
  fi
  echo "postgres://socialform:$password@127.0.0.1:$port/postgres"
}

run_server() {
  local dir=$1
  as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

halt() {
  local dir=$1
  pick_owner
  as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
}

resume() {
  local dir=$1
  pick_owner
  run_server "$dir"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  pick_owner
  if [ -f "$dir/bin" ] && [ -d "$dir/data" ]; then
    as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?usage: pg-cluster.sh start DIR [--tls]}" "${3:-}" ;;
  stop) stop "${2:?usage: pg-cluster.sh stop DIR}" ;;
  halt) halt "${2:?usage: pg-cluster.sh halt DIR}" ;;
  resume) resume "${2:?usage: pg-cluster.sh resume DIR}" ;;
  *) echo "usage: scripts/pg-cluster.sh start|stop|halt|resume DIR" >&2; exit 2 ;;
esac
