#!/usr/bin/env bash
# Counts the requests a no-op plan makes against `sandbox serve`, for a
# configuration of APPS managed applications and PAGES pages, each page
# linked to one of them (and, with DATA=1, one more page linked through a
# data "vonage_applications" block). Usage:
#   scripts/measure-noop-requests.sh [APPS] [PAGES]
# Prints the requests of the second (no-op) plan by method and path.
set -euo pipefail
apps=${1:-100}
pages=${2:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/debug/socialform"
cargo build -q --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
trap 'kill "$sandbox" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" sandbox serve --listen 127.0.0.1:0 --seed-demo >"$work/serve.out" 2>&1 &
sandbox=$!
for _ in $(seq 50); do
  grep -q 'listening on' "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)
mkdir -p "$work/cfg/keys"
cp "$root/examples/application/keys/support.pub" "$work/cfg/keys/app.pub"
{
  printf 'provider "vonage" {\n  endpoint   = "%s"\n  api_key    = "sandbox"\n  api_secret = "sandbox"\n}\n\n' "$url"
  for i in $(seq 0 $((apps - 1))); do
    printf 'application "app%d" {\n  name = "App %d"\n  messages {\n    inbound_url = "https://bot.example.com/%d/inbound"\n    status_url  = "https://bot.example.com/%d/status"\n  }\n  public_key = file("keys/app.pub")\n}\n\n' "$i" "$i" "$i" "$i"
  done
  for i in $(seq 0 $((pages - 1))); do
    id=$((107100000000000 + i))
    printf 'page "p%d" {\n  page_id      = "%d"\n  access_token = "EAAmeasure%d"\n}\n\nlink "p%d" {\n  page        = page.p%d.page_id\n  application = application.app%d.id\n}\n\n' \
      "$i" "$id" "$i" "$i" "$i" $((i % apps))
  done
  if [ "${DATA:-0}" = 1 ]; then
    printf 'data "vonage_applications" "all" {\n  capability = "messages"\n}\n\n'
    printf 'page "by_name" {\n  page_id      = "107199999999999"\n  access_token = "EAAmeasure-by-name"\n}\n\n'
    printf 'link "by_name" {\n  page        = page.by_name.page_id\n  application = data.vonage_applications.all.by_name["Support bot"].id\n}\n'
  fi
} >"$work/cfg/main.hcl"
"$bin" -C "$work/cfg" apply --auto-approve --parallelism 16 >/dev/null
curl -s -X DELETE "$url/_sandbox/requests" >/dev/null || true
before=$(curl -s "$url/_sandbox/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
"$bin" -C "$work/cfg" plan --detailed-exitcode >/dev/null
curl -s "$url/_sandbox/requests" | python3 -c "
import json, sys, collections
log = json.load(sys.stdin)[$before:]
count = collections.Counter(f\"{r['method']} {r['path']}\" for r in log)
for (line, n) in sorted(count.items()):
    print(f'{n:5} {line}')
print(f'{len(log):5} requests in all, {sum(1 for r in log if r[\"method\"] != \"GET\")} mutating')
"
