#!/usr/bin/env python3
"""Need creation throughput with `wrk` (64 connections, 2 threads): loads OFFERS published offers
through the batch endpoint, waits until the load's matching jobs are done (or --settle seconds),
then posts needs for --seconds, --runs times. Each create answers 201 only after its suggestions
are stored (or after its 2 s wait), so requests/s is the rate of needs entered *with* suggestions.
Python clients (as in scale.py) cap the rate themselves; wrk does not.

    python3 bench/need_rate.py --binary target/release/broker --offers 100000
    python3 bench/need_rate.py --engine postgres --database-url postgres://postgres@127.0.0.1:5432/x

Each run also reports the CPU time spent per created need, by the server and (PostgreSQL) by the
database's processes: on a shared machine whose speed varies from day to day that is the steadier
figure for comparing two builds.

Uses scale.py's helpers (server start, tokens, the synthetic catalogue). Needs wrk.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import time

import scale

HERE = os.path.dirname(os.path.abspath(__file__))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User plus system CPU seconds used so far by the processes `pids` (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def postgres_pids():
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url")
    ap.add_argument("--binary", default="target/release/broker")
    ap.add_argument("--offers", type=int, default=3000)
    ap.add_argument("--settle", type=float, default=120.0,
                    help="longest wait for the load's matching jobs")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    tmp = tempfile.mkdtemp(prefix="broker-need-rate-")
    url, env = scale.server_env(args.engine, args.database_url, f"{tmp}/need-rate.db")
    server = scale.Server(args.binary, env)
    server.start()
    base = server.base
    admin = scale.token(args.binary, env, "admin")
    provider_id, provider = scale.register_provider(args.binary, env, base, admin, "Kursgivaren")
    codes = scale.municipality_codes(base, admin)
    started = time.time()
    scale.load_offers(base, provider, provider_id, args.offers, codes, random.Random(15))
    print(f"loaded {args.offers} offers in {time.time() - started:.1f} s", flush=True)
    if args.engine == "postgres":
        subprocess.run(["psql", url, "-qc", "ANALYZE"], check=True)
    # The load queues a matching job per offer: measured once they are done, read from the
    # database itself (no endpoint shows the queue).
    deadline = time.time() + args.settle
    db_path = f"{tmp}/need-rate.db"
    while time.time() < deadline and scale.jobs_left(args.engine, url, db_path) > 0:
        time.sleep(1)
    print(f"matching jobs done {time.time() - started:.1f} s after the load began "
          f"({scale.jobs_left(args.engine, url, db_path)} left)", flush=True)
    contact = scale.token(args.binary, env, "municipal_contact", "--municipality", "1438")
    for run in range(args.runs):
        database = postgres_pids() if args.engine == "postgres" else []
        cpu_before = (cpu_seconds([server.proc.pid]), cpu_seconds(database))
        out = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
             "-s", os.path.join(HERE, "need_rate.lua"), base + "/api/v1/needs"],
            env=dict(os.environ, NEED_TOKEN=contact), capture_output=True, text=True,
            check=True).stdout
        # Backends that ended during the run are not counted; the pool keeps its connections.
        database = sorted(set(database) | set(postgres_pids()))
        cpu_server = cpu_seconds([server.proc.pid]) - cpu_before[0]
        cpu_database = cpu_seconds(database) - cpu_before[1]
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
        p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
        failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        created = int(re.search(r"(\d+) requests in", out).group(1))
        if failed:
            created -= int(failed.group(1))
        per_need = f"CPU per need: server {1000 * cpu_server / max(created, 1):.2f} ms"
        if args.engine == "postgres":
            per_need += f", database {1000 * cpu_database / max(created, 1):.2f} ms"
        print(f"run {run + 1}: {rate} needs/s, p50 {p50}, p99 {p99}, "
              f"non-2xx {failed.group(1) if failed else 0}; {per_need}", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
