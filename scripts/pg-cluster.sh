#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the tests and benches.
#
#   scripts/pg-cluster.sh start DIR   # prints the connection URL on stdout
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

start() {
  local dir=$1
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
  local port
  port=$(free_port)
  echo "$bin" > "$dir/bin"
  echo "$port" > "$dir/port"
  run_server "$dir"
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
  start) start "${2:?usage: pg-cluster.sh start DIR}" ;;
  stop) stop "${2:?usage: pg-cluster.sh stop DIR}" ;;
  halt) halt "${2:?usage: pg-cluster.sh halt DIR}" ;;
  resume) resume "${2:?usage: pg-cluster.sh resume DIR}" ;;
  *) echo "usage: scripts/pg-cluster.sh start|stop|halt|resume DIR" >&2; exit 2 ;;
esac
