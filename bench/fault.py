#!/usr/bin/env python3
"""Fault run: acknowledged writes versus writes found after faults.

Starts the real `broker` binary, has several clients create needs (single and CSV batches) as
fast as it answers, and meanwhile
  * kills the server with SIGKILL in the middle of the load (and starts it again), and, on
    PostgreSQL,
  * restarts PostgreSQL under the load.
Afterwards every acknowledged need (201) is read back. A write that was acknowledged and is not
found is lost; the report says how many. Unacknowledged writes (connection errors while the
server or database was down) may or may not exist; they are counted separately.

Usage (from the workspace root, after `cargo build --release -p broker-api`):
  python3 bench/fault.py --engine sqlite
  python3 bench/fault.py --engine postgres --database-url postgres://postgres@127.0.0.1:5432/fault
Prints one JSON report; exits 1 when an acknowledged write is missing.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SECRET = "fault-run-secret-fault-run-secret-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, env):
        self.binary, self.env, self.proc = binary, env, None

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "serve"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = "http://" + self.env["BROKER_BIND"]
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise SystemExit("server did not become ready")

    def kill(self):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()


def token(binary, env):
    out = subprocess.run(
        [binary, "token", "--role", "municipal_contact", "--municipality", "1438",
         "--sub", "fault-run", "--ttl", "2h"],
        env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def post(base, tok, path, body, content_type):
    req = urllib.request.Request(
        base + path, data=body, method="POST",
        headers={"Authorization": "Bearer " + tok, "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read() or b"null")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url")
    ap.add_argument("--binary", default="target/release/broker")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="broker-fault-")
    url = args.database_url or (
        f"sqlite://{tmp}/fault.db?mode=rwc" if args.engine == "sqlite" else None)
    if url is None:
        raise SystemExit("--database-url is required for postgres")
    env = dict(os.environ, BROKER_DATABASE_URL=url, BROKER_JWT_SECRET=SECRET,
               BROKER_BIND=f"127.0.0.1:{free_port()}", BROKER_LOG_FORMAT="json")
    base = "http://" + env["BROKER_BIND"]
    server = Server(args.binary, env)
    server.start()
    tok = token(args.binary, env)

    acknowledged, unacknowledged, lock = [], [0], threading.Lock()
    stop = threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            i += 1
            title = f"Fault run {n}-{i}"
            try:
                if i % 5 == 0:
                    csv = ("municipality,title,purpose,headcount,must_have\n" +
                           "".join(f"1438,{title} row {k},recruitment,1,svetsning\n"
                                   for k in range(3)))
                    status, body = post(base, tok, "/api/v1/needs/batch",
                                        csv.encode(), "text/csv")
                    ids = [item["id"] for item in body["items"]] if status == 201 else []
                else:
                    body = json.dumps({"municipality": "1438", "title": title,
                                       "purpose": "recruitment", "headcount": 1,
                                       "competences": [{"label": "svetsning"}]})
                    status, body = post(base, tok, "/api/v1/needs", body.encode(),
                                        "application/json")
                    ids = [body["id"]] if status == 201 else []
                with lock:
                    acknowledged.extend(ids)
            except (urllib.error.URLError, ConnectionError, OSError, ValueError, KeyError):
                with lock:
                    unacknowledged[0] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    faults = []
    third = args.seconds / 3
    time.sleep(third)
    with lock:
        before = len(acknowledged)
    server.kill()
    started = time.time()
    server.start()
    faults.append({"fault": "server SIGKILL mid-load", "acknowledged_before": before,
                   "down_seconds": round(time.time() - started, 2)})
    time.sleep(third)
    if args.engine == "postgres":
        cluster = os.listdir("/etc/postgresql")[0]
        started = time.time()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main",
                        "restart"], check=True)
        faults.append({"fault": "PostgreSQL restart under load",
                       "restart_seconds": round(time.time() - started, 2)})
    time.sleep(third)
    stop.set()
    for t in threads:
        t.join()

    # Read every acknowledged need back, from a fresh process (nothing cached).
    server.stop()
    server.start()
    admin = subprocess.run([args.binary, "token", "--role", "admin", "--sub", "fault-check"],
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    missing = []
    for need_id in acknowledged:
        req = urllib.request.Request(base + f"/api/v1/needs/{need_id}",
                                     headers={"Authorization": "Bearer " + admin})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status != 200:
                    missing.append(need_id)
        except urllib.error.HTTPError:
            missing.append(need_id)
    server.stop()
    report = {"engine": args.engine, "clients": args.clients, "seconds": args.seconds,
              "faults": faults, "acknowledged": len(acknowledged),
              "found": len(acknowledged) - len(missing), "lost": len(missing),
              "unacknowledged_attempts": unacknowledged[0]}
    print(json.dumps(report, indent=2))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
