#!/usr/bin/env python3
"""`make bench`: ClawBox's gateway against the same fake upstream reached directly, through nginx
(a plain reverse proxy: the floor) and through LiteLLM's proxy, in one run, plus the store
benchmark. Writes bench/results/<time>.md and .json and prints the table, the ratios and the
targets. `--quick` is a smoke run with tiny durations.

Fairness: the proxy under test has CPU 0 to itself; the fake upstream, the load generator and the
stream client share CPU 1. Targets take turns within each scenario (round-robin, several rounds,
the order rotated each round), and every "added" figure is the proxy's minus the direct run's
from the same round.
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import procs
import report
import streams

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RELEASE = ROOT / "target" / "release"
OHA = BENCH / ".tools" / "bin" / "oha"
LITELLM = BENCH / ".venv" / "bin" / "litellm"
PROXY_CPU, LOAD_CPU = 0, 1

PATH = "/v1/chat/completions"
BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}]})
TARGETS = ["direct", "nginx", "litellm", "clawbox"]
CHUNKS = 100
CONCURRENT_STREAMS = 16

PROFILES = {
    "full": dict(rounds=3, run_s=4, warmup_s=0.5, single_streams=4, stream_batches=2,
                 launches=5, store_rows=None),
    "quick": dict(rounds=1, run_s=1, warmup_s=0.2, single_streams=2, stream_batches=1,
                  launches=2, store_rows=20_000),
}
# name, connections, open-loop rate (None: closed loop). The closed-loop maximum runs before the
# fixed rates so that rates a target cannot reach are skipped rather than waited out.
PLAIN = [
    ("sequential", 1, None),
    ("max (64 conn)", 64, None),
    ("500 req/s", 32, 500),
    ("2000 req/s", 32, 2000),
    ("5000 req/s", 32, 5000),
]
# Chunk pacing of the fake's streams: far enough apart that every chunk is its own read.
CHUNK_DELAY_MS = 5


class Target:
    def __init__(self, name, port, stream_port=None, headers=None, stream_model="gpt-4o-mini"):
        self.name = name
        self.port = port
        self.stream_port = stream_port or port
        self.headers = headers or {"Authorization": "Bearer sk-bench"}
        self.stream_model = stream_model
        self.proc = None
        self.served = 0  # every request sent to it, warm-ups included (ClawBox logs each one)

    def cpu(self):
        return self.proc.cpu_seconds() if self.proc else None

    def log_writer_cpu(self):
        """CPU seconds of ClawBox's request-log writer thread (None for the others): what the
        SQLite log costs, since there is no switch to turn it off."""
        if self.name != "clawbox" or not self.proc:
            return None
        return self.proc.thread_cpu_seconds("clawbox-log-writer")


class Bench:
    def __init__(self, profile, work):
        self.p = profile
        self.work = work
        self.fake_port = procs.free_port()
        self.tap_port = procs.free_port()
        self.fake = None
        self.targets = {}
        self.plain = {}  # scenario -> target -> [one run per round]
        self.skipped = {}  # scenario -> target -> reason
        self.stream_runs = {}  # scenario -> target -> [stream results]
        self.stream_cpu = {}  # scenario -> target -> CPU seconds
        self.resources = {}
        self.launches_ms = []
        self.clawbox_rows = None
        self.quiet = None

    # --- processes -------------------------------------------------------------------------

    def restart_fake(self):
        """A fresh fake upstream on the same port. The fake keeps every request it receives in
        memory (several KB each), so it is restarted before each round rather than left to grow
        by gigabytes over the run."""
        if self.fake:
            self.fake.stop()
        self.fake = procs.Proc("fake", [str(RELEASE / "clawbox-fake-upstream"), "--port",
                                        str(self.fake_port)], LOAD_CPU, self.fake_port,
                               self.work / "fake.log")

    def measure_clawbox_launches(self):
        """Spawn to first successful connect, each launch on a new data dir (first-run work:
        creating the database, the local key), with CPU 0 otherwise idle."""
        for i in range(self.p["launches"]):
            port = procs.free_port()
            data = self.work / f"launch-{i}"
            proc = procs.Proc("clawbox", [str(RELEASE / "clawbox-gateway"), "serve"], PROXY_CPU,
                              port, self.work / "launches.log", env=self.clawbox_env(data, port))
            self.launches_ms.append(proc.ready_s * 1e3)
            proc.stop()

    def clawbox_env(self, data, port):
        data.mkdir(parents=True, exist_ok=True)
        # The upstream is set in settings.json rather than CLAWBOX_OPENAI_URL (which would pin
        # it): the streaming scenarios switch it to the chunk-timing tap without a restart.
        (data / "settings.json").write_text(json.dumps(
            {"openai_url": f"http://127.0.0.1:{self.fake_port}"}))
        return {
            "CLAWBOX_DATA_DIR": str(data),
            "CLAWBOX_SECRET_STORE": "file",
            "CLAWBOX_LISTEN": f"127.0.0.1:{port}",
            # High enough never to reject: the limiter still runs on every request.
            "CLAWBOX_RATE_LIMIT": "100000000",
        }

    def start_targets(self):
        direct = Target("direct", self.fake_port, self.tap_port)
        self.targets["direct"] = direct

        port, stream_port = procs.free_port(), procs.free_port()
        prefix = self.work / "nginx"
        prefix.mkdir()
        conf = (BENCH / "nginx.conf.template").read_text()
        for key, value in {"PREFIX": prefix, "PORT": port, "STREAM_PORT": stream_port,
                           "FAKE_PORT": self.fake_port, "TAP_PORT": self.tap_port}.items():
            conf = conf.replace(f"@{key}@", str(value))
        (prefix / "nginx.conf").write_text(conf)
        nginx = Target("nginx", port, stream_port)
        nginx.proc = procs.Proc("nginx", ["nginx", "-p", str(prefix), "-c",
                                          str(prefix / "nginx.conf"), "-e", str(prefix / "error.log"),
                                          "-g", "daemon off;"], PROXY_CPU, port,
                                self.work / "nginx.log")
        self.targets["nginx"] = nginx

        port = procs.free_port()
        master_key = "sk-bench-" + secrets.token_hex(24)
        conf = (BENCH / "litellm.yaml").read_text()
        for key, value in {"FAKE_URL": f"http://127.0.0.1:{self.fake_port}",
                           "TAP_URL": f"http://127.0.0.1:{self.tap_port}",
                           "CHUNKS": CHUNKS, "CHUNK_DELAY_MS": CHUNK_DELAY_MS}.items():
            conf = conf.replace(f"@{key}@", str(value))
        (self.work / "litellm.yaml").write_text(conf)
        litellm = Target("litellm", port, headers={"Authorization": f"Bearer {master_key}"},
                         stream_model="gpt-4o-mini-stream")
        litellm.proc = procs.Proc("litellm", [str(LITELLM), "--config", str(self.work / "litellm.yaml"),
                                              "--host", "127.0.0.1", "--port", str(port),
                                              "--num_workers", "1"], PROXY_CPU, port,
                                  self.work / "litellm.log", cwd=self.work, env={
                                      "LITELLM_MASTER_KEY": master_key,
                                      # No network here: use the bundled model price map.
                                      "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                                      "LITELLM_LOG": "ERROR",
                                  })
        self.targets["litellm"] = litellm

        port = procs.free_port()
        clawbox = Target("clawbox", port)
        self.clawbox_data = self.work / "clawbox"
        clawbox.proc = procs.Proc("clawbox", [str(RELEASE / "clawbox-gateway"), "serve"], PROXY_CPU,
                                  port, self.work / "clawbox.log",
                                  env=self.clawbox_env(self.clawbox_data, port))
        self.targets["clawbox"] = clawbox

        time.sleep(1)  # let start-up work settle before "idle" memory is read
        for t in self.proxies():
            self.resources[t.name] = {"ready_ms": t.proc.ready_s * 1e3,
                                      "rss_idle_mb": t.proc.memory_kb() / 1024}

    def proxies(self):
        return [t for t in self.targets.values() if t.proc]

    def stop_targets(self):
        for t in self.proxies():
            t.proc.stop()
        if self.fake:
            self.fake.stop()

    # --- plain requests (oha) ---------------------------------------------------------------

    def oha(self, target, connections, seconds, rate=None):
        cmd = ["taskset", "-c", str(LOAD_CPU), str(OHA), "--no-tui", "--worker-threads", "1",
               "--output-format", "json", "-m", "POST", "-T", "application/json", "-d", BODY,
               "-c", str(connections), "-z", f"{seconds}s",
               # Requests in flight at the deadline finish and count (ClawBox logs them).
               "-w"]
        for name, value in target.headers.items():
            cmd += ["-H", f"{name}: {value}"]
        if rate:
            cmd += ["-q", str(rate), "--latency-correction"]
        cmd.append(f"http://127.0.0.1:{target.port}{PATH}")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300)
        if out.returncode != 0:
            raise RuntimeError(f"oha failed against {target.name}: {out.stderr.strip()}")
        run = parse_oha(json.loads(out.stdout))
        target.served += run["requests"]
        return run

    def warm_up(self):
        """Python's first requests (imports, caches) and every pool's first connections."""
        for t in self.targets.values():
            self.oha(t, 8, 2 * self.p["warmup_s"] + (2 if t.name == "litellm" else 0))

    def plain_scenarios(self):
        for name, connections, rate in PLAIN:
            self.plain[name] = {t: [] for t in TARGETS}
            self.skipped[name] = {}
            for t in TARGETS:
                reason = self.cannot_reach(t, rate)
                if reason:
                    self.skipped[name][t] = reason
            for rnd in range(self.p["rounds"]):
                self.restart_fake()
                for t in rotated(TARGETS, rnd):
                    if t in self.skipped[name]:
                        continue
                    target = self.targets[t]
                    self.oha(target, connections, self.p["warmup_s"], rate)
                    before, writer_before = target.cpu(), target.log_writer_cpu()
                    run = self.oha(target, connections, self.p["run_s"], rate)
                    run["cpu_s"] = None if before is None else target.cpu() - before
                    run["log_writer_cpu_s"] = (None if writer_before is None
                                               else target.log_writer_cpu() - writer_before)
                    run["round"] = rnd
                    self.plain[name][t].append(run)
                    log(f"{name:14} round {rnd + 1}  {t:8} {run['rps']:9.0f} req/s  "
                        f"p50 {run['p50_ms']:.3f} ms  p99 {run['p99_ms']:.3f} ms  "
                        f"errors {run['errors']}")

    def cannot_reach(self, target, rate):
        """A fixed rate the target's own closed-loop maximum is below is not run: it would only
        queue (LiteLLM's single worker tops out in the hundreds of requests per second)."""
        if not rate:
            return None
        runs = self.plain.get("max (64 conn)", {}).get(target) or []
        best = statistics.median(r["rps"] for r in runs) if runs else None
        if best is not None and best < 1.1 * rate:
            return f"n/a (saturated: max {best:.0f} req/s)"
        return None

    # --- streams ------------------------------------------------------------------------------

    async def stream_scenarios(self):
        self.restart_fake()
        tap = streams.Tap(self.fake_port)
        await tap.start(self.tap_port)
        try:
            await self.point_clawbox_at_tap(tap)
            for t in self.targets.values():  # each target's first streams, untimed
                await self.run_streams(t, 1, 2)
            plan = [("1 stream", 1, self.p["single_streams"]),
                    (f"{CONCURRENT_STREAMS} streams", CONCURRENT_STREAMS, self.p["stream_batches"])]
            for name, width, repeats in plan:
                self.stream_runs[name] = {t: [] for t in TARGETS}
                self.stream_cpu[name] = {t: 0.0 for t in TARGETS}
                for rnd in range(self.p["rounds"]):
                    for t in rotated(TARGETS, rnd):
                        target = self.targets[t]
                        await self.run_streams(target, width, 1)  # warm-up
                        before = target.cpu()
                        got = await self.run_streams(target, width, repeats)
                        if before is not None:
                            self.stream_cpu[name][t] += target.cpu() - before
                        for r in got:
                            sent = tap.sent.get(r["id"], [])
                            r["delays"] = [a - s for a, s in zip(r["arrivals"], sent)]
                            r["tap_chunks"] = len(sent)
                        self.stream_runs[name][t] += got
                        bad = sum(1 for r in got if r["error"])
                        log(f"{name:14} round {rnd + 1}  {t:8} {len(got)} streams, {bad} failed")
        finally:
            await tap.stop()

    async def run_streams(self, target, width, repeats):
        out = []
        for _ in range(repeats):
            # Concurrent streams start spread over one chunk interval, as independent clients
            # would, rather than all chunks of all streams falling due in the same instant.
            batch = [streams.one_stream(target.stream_port, target.stream_model, target.headers,
                                        CHUNKS, CHUNK_DELAY_MS, i * CHUNK_DELAY_MS / 1e3 / width)
                     for i in range(width)]
            out += await asyncio.gather(*batch)
            target.served += width
        return out

    async def point_clawbox_at_tap(self, tap):
        """Rewrites ClawBox's settings.json; it re-reads the file every 500 ms. Probes (logged
        like any request) until a stream through ClawBox is seen at the tap."""
        target = self.targets["clawbox"]
        settings = self.clawbox_data / "settings.json"
        staged = settings.with_suffix(".tmp")
        staged.write_text(json.dumps({"openai_url": f"http://127.0.0.1:{tap.port}"}))
        staged.replace(settings)
        for _ in range(40):
            probe = await streams.one_stream(target.port, target.stream_model, target.headers, 1, 0)
            target.served += 1
            if probe["id"] in tap.sent:
                return
            await asyncio.sleep(0.25)
        raise RuntimeError("ClawBox did not pick up the tap as its upstream")

    # --- the end -----------------------------------------------------------------------------

    def finish(self):
        for t in self.proxies():
            self.resources[t.name]["rss_after_mb"] = t.proc.memory_kb() / 1024
            self.resources[t.name]["rss_peak_mb"] = t.proc.memory_kb("VmHWM") / 1024
        clawbox = self.targets["clawbox"]
        # A graceful stop flushes the request log; then count its rows.
        code = clawbox.proc.stop()
        db = sqlite3.connect(self.clawbox_data / "clawbox.db")
        rows = db.execute("SELECT count(*) FROM requests").fetchone()[0]
        by_status = dict(db.execute("SELECT status, count(*) FROM requests GROUP BY status"))
        db.close()
        self.clawbox_rows = {"rows": rows, "served": clawbox.served, "exit_code": code,
                             "rows_by_status": by_status}


def parse_oha(d):
    codes = {int(k): v for k, v in (d.get("statusCodeDistribution") or {}).items()}
    errors_by_kind = d.get("errorDistribution") or {}
    requests = sum(codes.values()) + sum(errors_by_kind.values())
    ok = sum(v for k, v in codes.items() if 200 <= k < 300)
    seconds = d["summary"]["total"] or 1e-9
    pct = d.get("latencyPercentiles") or {}
    return {
        "requests": requests,
        "errors": requests - ok,
        "error_kinds": {**{str(k): v for k, v in codes.items() if not 200 <= k < 300},
                        **errors_by_kind},
        "seconds": seconds,
        "rps": ok / seconds,
        "p50_ms": (pct.get("p50") or float("nan")) * 1e3,
        "p99_ms": (pct.get("p99") or float("nan")) * 1e3,
    }


def rotated(items, n):
    n %= len(items)
    return items[n:] + items[:n]


def log(line):
    print(line, flush=True)


def store_benchmark(rows):
    """The existing store benchmark (writer throughput, dashboard and log queries)."""
    env = dict(os.environ)
    if rows:
        env["CLAWBOX_BENCH_ROWS"] = str(rows)
    out = subprocess.run(["cargo", "bench", "--locked", "-p", "clawbox-store", "--bench", "store"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        return [f"store benchmark failed: {out.stderr.strip().splitlines()[-1:]}"]
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    # What pricing adds to each request (crates/pricing/benches/price.rs).
    out = subprocess.run(["cargo", "bench", "--locked", "-p", "clawbox-pricing", "--bench", "price"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        return lines + [f"pricing benchmark failed: {out.stderr.strip().splitlines()[-1:]}"]
    lines += [line for line in out.stdout.splitlines() if line.strip()]
    # What kept conversations cost (crates/conversations/benches/chain.rs).
    out = subprocess.run(["cargo", "bench", "--locked", "-p", "clawbox-conversations", "--bench", "chain"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        return lines + [f"conversations benchmark failed: {out.stderr.strip().splitlines()[-1:]}"]
    return lines + [line for line in out.stdout.splitlines() if line.strip()]


def agents_benchmark():
    """ClawBox's cost per agent event (write → event, events/s) and Send → first token with the
    real agents against the fakes (crates/agents/benches/events.rs; needs tests/agents)."""
    out = subprocess.run(["cargo", "bench", "--locked", "-p", "clawbox-agents", "--bench", "events"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        return [f"agents benchmark failed: {out.stderr.strip().splitlines()[-1:]}"]
    return [line for line in out.stdout.splitlines() if line.strip()]


def versions():
    def first_line(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    return {
        "clawbox": first_line(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"]),
        "nginx": first_line(["nginx", "-v"]).replace("nginx version: ", ""),
        "litellm": first_line([str(BENCH / ".venv" / "bin" / "python"), "-c",
                               "import importlib.metadata as m; print(m.version('litellm'))"]),
        "oha": first_line([str(OHA), "--version"]),
    }


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")}


def cpu_accounts():
    """(busy CPU seconds of the whole machine, steal seconds, CPU seconds of this process and
    every child it has reaped): their difference over the run is what other programs used."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    own = os.times()
    return ((user + nice + system + irq + softirq) / procs.TICK, steal / procs.TICK,
            own.user + own.system + own.children_user + own.children_system)


def wait_for_quiet(limit_s):
    """Other programs' load lands on the CPUs being measured: wait (up to limit_s) for the
    machine to be mostly idle before starting. The share they used is reported either way."""
    deadline = time.monotonic() + limit_s
    while True:
        before = cpu_accounts()[0]
        time.sleep(2)
        share = (cpu_accounts()[0] - before) / (2 * (os.cpu_count() or 1))
        if share < 0.1 or time.monotonic() > deadline:
            return
        log(f"bench: the machine is {share:.0%} busy with other work; waiting for it to settle")
        time.sleep(8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny durations, for a smoke run")
    parser.add_argument("--no-store", action="store_true", help="skip the store and agents benchmarks")
    args = parser.parse_args()
    profile_name = "quick" if args.quick else "full"
    profile = PROFILES[profile_name]

    for need in [RELEASE / "clawbox-gateway", RELEASE / "clawbox-fake-upstream", OHA, LITELLM]:
        if not need.exists():
            sys.exit(f"missing {need}: run `make bench` (it builds and installs what is needed)")
    if (os.cpu_count() or 1) < 2:
        sys.exit("the benchmark pins the proxy and the load to two different CPUs: needs 2")

    # This process is the stream client and the tap: it belongs with the load, off the proxy's CPU.
    all_cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {LOAD_CPU})
    wait_for_quiet(0 if args.quick else 300)
    started = datetime.datetime.now(datetime.timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="clawbox-bench-"))
    bench = Bench(profile, work)
    log(f"bench: {profile_name} run, work dir {work}, load average {os.getloadavg()[0]:.2f}")
    accounts, wall = cpu_accounts(), time.monotonic()
    try:
        bench.measure_clawbox_launches()
        bench.restart_fake()
        bench.start_targets()
        bench.warm_up()
        bench.plain_scenarios()
        asyncio.run(bench.stream_scenarios())
        bench.finish()
    finally:
        bench.stop_targets()
    busy, steal, own = (after - before for after, before in zip(cpu_accounts(), accounts))
    bench.quiet = {"wall_s": time.monotonic() - wall, "other_cpu_s": max(0.0, busy - own),
                   "steal_s": steal}
    os.sched_setaffinity(0, all_cpus)
    store = [] if args.no_store else store_benchmark(profile["store_rows"])
    agents = [] if args.no_store else agents_benchmark()

    results = report.build(bench, profile_name, started, versions(), machine(), store,
                           chunks=CHUNKS, chunk_delay_ms=CHUNK_DELAY_MS, agents=agents)
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    stem = started.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    markdown = report.markdown(results)
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / f"{stem}.md").write_text(markdown)
    print()
    print(markdown)
    print(f"Written: bench/results/{stem}.md and .json")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
