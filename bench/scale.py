#!/usr/bin/env python3
"""Scale run: the issue-15 figures, measured against the real `broker` binary.

  1. loads OFFERS published offers through `POST /api/v1/offers/batch` (1,000 per request) and
     times it, then times how long a need entered right after the load waits for suggestions;
  2. waits until the load's matching jobs are done, then times every public listing query of a
     fixed set with the server cache off (p50/p99, and that every answer is 2xx);
  3. restarts the server and times restart-to-ready; reads its RSS;
  4. with `wrk` (32 connections, 2 threads), requests/s of /healthz, a cached listing (200 and
     304), reference data and an authenticated GET /needs, as ratios to /healthz;
  5. need creation: CLIENTS threads create needs for SECONDS; rate, latency and whether each
     need's suggestions are visible right after its 201; then GET /needs again, as a ratio to
     /healthz, with the needs just created stored (step 4 sees one);
  6. with --second-instance, a change on one instance until visible on the other (p99).

Usage (from the workspace root; builds nothing itself):
  cargo build --release -p broker-api
  python3 bench/scale.py --engine sqlite
  python3 bench/scale.py --engine postgres --database-url postgres://postgres@127.0.0.1:5432/scale
Prints a JSON report. PostgreSQL: the database must exist and be empty; the script runs ANALYZE
after the load (autovacuum is off on the benchmark machine).
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SECRET = "scale-run-secret-scale-run-secret-0123456789"

TITLE_WORDS = ["kurs", "kurset", "grundkurs", "fortsättningskurs", "utbildning", "introduktion",
               "svetsning", "truck", "vård", "omsorg", "ledarskap", "excel", "svenska",
               "säkerhet", "bygg", "el", "CNC", "lager", "logistik", "hygien", "ekonomi"]
COMPETENCES = ["svetsning", "MIG/MAG-svetsning", "truckkörning", "svenska som andraspråk",
               "projektledning", "kalkylprogram", "arbetsmiljö", "första hjälpen",
               "kundservice", "lagerhantering"]
LISTING_QUERIES = [
    "limit=20",
    "municipality=1438&limit=20",
    "region=fyrbodal&limit=20",
    "cluster=dalsland&include_distance=true&limit=20",
    "delivery=distance&limit=20",
    "level=3,4&limit=20",
    "language=en&limit=20",
    "competence=svetsning&limit=20",
    "q=kurs&limit=20",
    "q=kurs%20kurset&limit=20",
    "q=svetsning%20mig&region=fyrbodal&limit=20",
    "q=truck&municipality=1485&limit=20",
    "sort=updated&limit=20",
    "sort=published&offset=5000&limit=100",
    "start_from=2028-01-01&start_to=2028-06-30&limit=50",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def jobs_left(engine, url, sqlite_path):
    """Matching jobs still queued, read from the database itself (no endpoint shows the queue)."""
    if engine == "postgres":
        out = subprocess.run(["psql", url, "-Atc", "SELECT count(*) FROM matching_jobs"],
                             check=True, capture_output=True, text=True).stdout
        return int(out.strip())
    with sqlite3.connect(sqlite_path) as db:
        return db.execute("SELECT count(*) FROM matching_jobs").fetchone()[0]


class Server:
    def __init__(self, binary, env):
        self.binary, self.env, self.proc = binary, env, None
        self.base = "http://" + env["BROKER_BIND"]

    def start(self):
        started = time.time()
        # SERVER_LOG=path keeps the server's stderr for a look after the run; with
        # SERVER_LOG_STDOUT=1 its stdout (the tracing log) goes there too.
        log = open(os.environ.get("SERVER_LOG", os.devnull), "w")
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env,
                                     stdout=log if os.environ.get("SERVER_LOG_STDOUT") else subprocess.DEVNULL, stderr=log)
        deadline = started + 300
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.time() - started
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        raise SystemExit("server did not become ready")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            kib = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        return round(kib / 1024)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait()
            self.proc = None


def request(base, method, path, token=None, body=None, content_type="application/json",
            headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else
                                      json.dumps(body).encode())
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None), dict(r.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw), dict(e.headers)
        except ValueError:
            return e.code, raw.decode(errors="replace"), dict(e.headers)


def token(binary, env, role, *extra):
    out = subprocess.run([binary, "token", "--role", role, "--sub", "scale-run", "--ttl", "4h",
                          *extra], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def offers_batch(rng, provider_id, n, municipalities):
    batch = []
    for _ in range(n):
        words = rng.sample(TITLE_WORDS, 3)
        place = rng.choice(municipalities)
        distance = rng.random() < 0.15
        start = f"{rng.choice([2027, 2028, 2029])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        batch.append({
            "provider_id": provider_id,
            "title": " ".join(words).capitalize(),
            "description": "Yrkesinriktad kurs: " + " ".join(rng.sample(TITLE_WORDS, 6)),
            "language": rng.choice(["sv", "sv", "sv", "nb", "en"]),
            "level": rng.randint(2, 6),
            "delivery": "distance" if distance else rng.choice(["on_site", "blended"]),
            "competence_labels": rng.sample(COMPETENCES, rng.randint(1, 3)),
            "instances": [{"start": start, "distance": True, "seats": 20} if distance else
                          {"start": start, "municipality": place, "seats": rng.randint(8, 30)}],
        })
    return batch


def server_env(engine, database_url, sqlite_path, **settings):
    """The environment of a benchmark server: `database_url`, or for SQLite a fresh file at
    `sqlite_path`; the scale run's JWT secret, a free port, public rate limit off, `settings`."""
    url = database_url or (f"sqlite://{sqlite_path}?mode=rwc" if engine == "sqlite" else None)
    if url is None:
        raise SystemExit("--database-url is required for postgres")
    env = dict(os.environ, BROKER_DATABASE_URL=url, BROKER_JWT_SECRET=SECRET,
               BROKER_BIND=f"127.0.0.1:{free_port()}", BROKER_PUBLIC_RATE_LIMIT="0",
               RUST_LOG="warn")
    env.update(settings)
    return url, env


def register_provider(binary, env, base, admin, name):
    """Registers an education provider; returns its id and a provider token for it."""
    status, org, _ = request(base, "POST", "/api/v1/organisations", admin,
                             {"name": name, "kind": "education_provider", "country": "SE"})
    if status != 201:
        raise SystemExit(f"could not register a provider: {status} {org}")
    return org["id"], token(binary, env, "provider", "--organisation", org["id"])


def municipality_codes(base, admin):
    _, munis, _ = request(base, "GET", "/api/v1/municipalities", admin)
    return [m["code"] for m in (munis["items"] if isinstance(munis, dict) else munis)]


def load_offers(base, provider, provider_id, n, codes, rng):
    """Publishes n synthetic offers through the batch endpoint, 1,000 a request."""
    loaded = 0
    while loaded < n:
        size = min(1000, n - loaded)
        status, body, _ = request(base, "POST", "/api/v1/offers/batch?publish=true", provider,
                                  offers_batch(rng, provider_id, size, codes))
        if status != 201:
            raise SystemExit(f"batch failed: {status} {str(body)[:400]}")
        loaded += size


def wrk(url, seconds, headers=()):
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url")
    ap.add_argument("--binary", default="target/release/broker")
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=40, help="requests per listing query")
    ap.add_argument("--wrk-seconds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--second-instance", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")

    tmp = tempfile.mkdtemp(prefix="broker-scale-")
    url, env = server_env(args.engine, args.database_url, f"{tmp}/scale.db",
                          BROKER_LOG_FORMAT="json", BROKER_PUBLIC_CACHE_SECONDS="0")
    report = {"engine": args.engine, "offers": args.offers}
    server = Server(args.binary, env)
    server.start()
    base = server.base
    admin = token(args.binary, env, "admin")
    provider_id, provider = register_provider(args.binary, env, base, admin, "Skalningsskolan")
    codes = municipality_codes(base, admin)

    # 1. Load.
    rng = random.Random(15)
    started = time.time()
    load_offers(base, provider, provider_id, args.offers, codes, rng)
    report["load_seconds"] = round(time.time() - started, 1)
    report["load_offers_per_second"] = round(args.offers / (time.time() - started))
    if args.engine == "postgres":
        subprocess.run(["psql", url, "-qc", "ANALYZE"], check=True)
    contact = token(args.binary, env, "municipal_contact", "--municipality", "1438")
    need = {"municipality": "1438", "title": "Svetsare efter laddningen", "purpose": "recruitment",
            "headcount": 2, "competences": [{"label": "svetsning"}]}
    t0 = time.time()
    status, created, _ = request(base, "POST", "/api/v1/needs", contact, need)
    while True:
        _, matches, _ = request(base, "GET", f"/api/v1/needs/{created['id']}/matches", admin)
        if any(m["kind"] == "offer" for m in matches["items"]) or time.time() - t0 > 1800:
            break
        time.sleep(0.2)
    report["need_after_load_first_suggestion_seconds"] = round(time.time() - t0, 2)
    # The load queued a matching job per offer; listings are timed once those are done, so the
    # figures are the listing's own and not the backlog's.
    while jobs_left(args.engine, url, f"{tmp}/scale.db") > 0 and time.time() - started < 1800:
        time.sleep(0.5)
    report["load_jobs_done_seconds_after_load_began"] = round(time.time() - started, 1)

    # 2. Uncached listing latency.
    listing = {}
    for q in LISTING_QUERIES:
        times, statuses = [], set()
        for _ in range(args.repeat):
            t = time.perf_counter()
            status, body, _ = request(base, "GET", "/api/v1/public/offers?" + q)
            times.append((time.perf_counter() - t) * 1000)
            statuses.add(status)
        listing[q] = {"p50_ms": round(statistics.median(times), 1),
                      "p99_ms": round(percentile(times, 99), 1),
                      "statuses": sorted(statuses),
                      "total": body.get("total") if isinstance(body, dict) else None}
    report["listing_uncached"] = listing
    report["listing_uncached_worst_p99_ms"] = max(v["p99_ms"] for v in listing.values())
    report["listing_all_2xx"] = all(all(200 <= s < 300 for s in v["statuses"])
                                    for v in listing.values())

    # 3. Restart (with the server cache on for the throughput runs).
    server.stop()
    env["BROKER_PUBLIC_CACHE_SECONDS"] = "60"
    report["restart_to_ready_seconds"] = round(server.start(), 2)
    request(base, "GET", "/api/v1/public/offers?municipality=1438&limit=20")
    report["rss_mib_after_restart"] = server.rss_mib()

    # 4. Throughput ratios.
    listing_url = base + "/api/v1/public/offers?municipality=1438&limit=20"
    _, _, headers = request(base, "GET", "/api/v1/public/offers?municipality=1438&limit=20")
    etag = headers.get("ETag") or headers.get("etag")
    auth = f"Authorization: Bearer {admin}"
    rates = {}
    rates["healthz"], _ = wrk(base + "/healthz", args.wrk_seconds)
    rates["listing_cached_200"], _ = wrk(listing_url, args.wrk_seconds)
    rates["listing_304"], _ = wrk(listing_url, args.wrk_seconds, [f"If-None-Match: {etag}"])
    rates["reference_municipalities"], _ = wrk(base + "/api/v1/municipalities", args.wrk_seconds,
                                               [auth])
    rates["needs_authenticated"], _ = wrk(base + "/api/v1/needs?limit=20", args.wrk_seconds,
                                          [auth])
    report["requests_per_second"] = {k: round(v) for k, v in rates.items()}
    report["ratio_to_healthz"] = {k: round(v / rates["healthz"], 3) for k, v in rates.items()
                                  if k != "healthz"}
    report["rss_mib_after_throughput"] = server.rss_mib()

    # 5. Need creation.
    latencies, visible, lock, stop = [], [], threading.Lock(), threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            i += 1
            body = dict(need, title=f"Behov {n}-{i}")
            t = time.perf_counter()
            status, created, _ = request(base, "POST", "/api/v1/needs", contact, body)
            took = time.perf_counter() - t
            if status != 201:
                continue
            _, matches, _ = request(base, "GET", f"/api/v1/needs/{created['id']}/matches",
                                    admin)
            with lock:
                latencies.append(took * 1000)
                visible.append(bool(matches["items"]))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    report["need_creation"] = {
        "clients": args.clients,
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "suggestions_visible_at_201": round(sum(visible) / max(1, len(visible)), 3),
    }
    # The needs listing again, now that thousands of needs are stored (step 4 saw one).
    healthz_now, _ = wrk(base + "/healthz", args.wrk_seconds)
    needs_now, _ = wrk(base + "/api/v1/needs?limit=20", args.wrk_seconds, [auth])
    report["needs_authenticated_after_creation"] = {
        "needs_stored": len(latencies) + 1,
        "per_second": round(needs_now),
        "ratio_to_healthz": round(needs_now / healthz_now, 3),
    }

    # 6. A second instance over the same database.
    if args.second_instance:
        env_b = dict(env, BROKER_BIND=f"127.0.0.1:{free_port()}", BROKER_PUBLIC_CACHE_SECONDS="0")
        other = Server(args.binary, env_b)
        other.start()
        waits = []
        for i in range(20):
            title = f"Tvåinstanskurs {i} {rng.randint(0, 10**9)}"
            offer = offers_batch(rng, provider_id, 1, codes)[0]
            offer["title"] = title
            t = time.time()
            request(base, "POST", "/api/v1/offers/batch?publish=true", provider, [offer])
            q = urllib.parse.quote(title)
            while time.time() - t < 30:
                _, body, _ = request(other.base, "GET", f"/api/v1/public/offers?q={q}&limit=5")
                if any(o["title"] == title for o in body["items"]):
                    break
                time.sleep(0.02)
            waits.append((time.time() - t) * 1000)
        report["second_instance_visible_ms"] = {"p50": round(statistics.median(waits)),
                                                "p99": round(percentile(waits, 99))}
        other.stop()
    server.stop()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
