#!/usr/bin/env python3
"""Graph and Vonage request counts of runs at N Facebook pages (default 1,000).

Starts `socialform sandbox serve`, gives a Facebook user N pages, and runs
apply, a no-op plan, drift and tokens on a configuration that takes every
page (and its token) from `data "facebook_pages"`, with app credentials (so
tokens are checked with debug_token). Prints what each run asked of Graph
and of Vonage, read from the sandbox's request log.

    cargo build --release
    scripts/facebook-requests.py target/release/socialform 1000
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/socialform"
PAGES = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
CONFIG = """data "facebook_pages" "managed" {}

page "p" {
  for_each = data.facebook_pages.managed.pages
  page_id  = each.key
  name     = each.value.name
}
"""


def main():
    work = tempfile.mkdtemp(prefix="sf-facebook-")
    with open(os.path.join(work, "main.hcl"), "w") as f:
        f.write(CONFIG)
    sandbox = subprocess.Popen(
        [BINARY, "sandbox", "serve", "--seed-demo", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = sandbox.stdout.readline().split("listening on ")[1].strip()
        api = lambda method, path, body=None: request(url, method, path, body)
        pages = [{"id": "1075%011d" % i, "name": "Page %d" % i} for i in range(PAGES)]
        api("POST", "/_sandbox/facebook/users", {"user_token": "EAAuser-requests", "pages": pages})
        env = dict(
            os.environ,
            VONAGE_ENDPOINT=url,
            VONAGE_API_KEY="sandbox",
            VONAGE_API_SECRET="sandbox",
            FACEBOOK_GRAPH_ENDPOINT=url,
            FACEBOOK_USER_TOKEN="EAAuser-requests",
            FACEBOOK_APP_ID="4242",
            FACEBOOK_APP_SECRET="app-secret",
            NO_COLOR="1",
        )
        print(f"{PAGES} pages, {BINARY}")
        for label, args in [
            ("apply (every page connected)", ["apply", "--auto-approve", "--parallelism", "16"]),
            ("plan (no changes)", ["plan", "--detailed-exitcode"]),
            ("drift", ["drift"]),
            ("tokens", ["tokens"]),
        ]:
            api("DELETE", "/_sandbox/requests")
            started = time.time()
            run = subprocess.run([BINARY, "-C", work] + args, env=env, capture_output=True, text=True)
            seconds = time.time() - started
            log = api("GET", "/_sandbox/requests")
            graph = [e for e in log if not e["path"].startswith(("/beta/", "/v2/"))]
            lists = sum(1 for e in graph if "me/accounts" in e["path"])
            batches = [e for e in graph if e["method"] == "POST"]
            items = sum(e.get("batch_items") or 0 for e in batches)
            print(
                f"  {label}: exit {run.returncode}, {seconds:.2f} s; Graph {len(graph)} requests "
                f"(/me/accounts {lists}, batches {len(batches)} of {items} tokens); "
                f"Vonage {len(log) - len(graph)} requests"
            )
            if run.returncode not in (0, 2):
                print(run.stderr[-2000:])
    finally:
        sandbox.kill()


def request(url, method, path, body):
    headers = {
        "content-type": "application/json",
        "authorization": "Basic " + base64.b64encode(b"sandbox:sandbox").decode(),
    }
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url + path, data, headers, method=method)) as r:
        text = r.read()
        return json.loads(text) if text else None


if __name__ == "__main__":
    main()
