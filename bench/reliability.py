"""`make reliability`: ClawBox's fault suite against the real `clawbox-gateway` binary.

Each scenario starts its own gateway (a fresh data folder, the file secret store) in front of the
testkit's fake provider (`clawbox-fake-upstream`, told what to do wrong by `x-fake-*` headers),
breaks something, and prints one line per figure and a PASS/FAIL line per target. Everything
stays on 127.0.0.1 and every loop is bounded in count and time. `--quick` shortens the soak.
"""

import argparse
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import procs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
CHAT = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
STREAM = json.dumps({"model": "gpt-4o-mini", "stream": True,
                     "messages": [{"role": "user", "content": "hi"}]})
HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-reliability"}
WRITER_BATCH = 2048  # rows the log writer commits at most per transaction

results = []  # (passed, text)


def figure(text):
    print(f"  {text}", flush=True)


def target(passed, text):
    results.append((passed, text))
    print(f"  {'PASS' if passed else 'FAIL'}  {text}", flush=True)


def skip(text):
    print(f"  SKIP  {text}", flush=True)


class Gateway:
    """`clawbox-gateway serve` on its own port and data folder."""

    def __init__(self, upstream_port, data_dir=None, env=None):
        self.port = procs.free_port()
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="clawbox-rel-")
        self.env = dict(os.environ, CLAWBOX_DATA_DIR=self.data_dir, CLAWBOX_SECRET_STORE="file",
                        CLAWBOX_LISTEN=f"127.0.0.1:{self.port}",
                        CLAWBOX_OPENAI_URL=f"http://127.0.0.1:{upstream_port}",
                        CLAWBOX_RATE_LIMIT="100000000", CLAWBOX_LOG="warn")
        self.env.update(env or {})
        self.start()

    def start(self):
        # Beside the data folder, not in it: the full-disk scenario fills that one.
        self.log_path = self.data_dir.rstrip("/") + ".log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([os.path.join(RELEASE, "clawbox-gateway"), "serve"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        if procs.wait_port(self.port, self.proc, timeout=20) is None:
            raise RuntimeError(f"the gateway did not start; see {self.log_path}")

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.log.close()

    def rows(self):
        db = sqlite3.connect(os.path.join(self.data_dir, "clawbox.db"), timeout=10)
        try:
            ids = {r[0] for r in db.execute("SELECT id FROM requests")}
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
        return ids, integrity

    def health(self):
        status, body, _ = request(self.port, "GET", "/health")
        return json.loads(body) if status == 200 else {}

    def cleanup(self):
        if self.proc.poll() is None:
            self.stop(signal.SIGKILL)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        if os.path.exists(self.log_path):
            os.remove(self.log_path)


def request(port, method, path, body=None, headers=None, timeout=30, conn=None):
    """One request; returns (status, body bytes, headers dict). Status 0: no answer."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(HEADERS, **(headers or {})))
        response = conn.getresponse()
        data = response.read()
        return response.status, data, {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException):
        return 0, b"", {}
    finally:
        if own:
            conn.close()


class Load:
    """Threads sending chat completions as fast as they are answered, noting each request id
    acknowledged (a 200 read to the end) until stopped or the gateway goes away."""

    def __init__(self, port, threads=8):
        self.port, self.stop_at, self.acked, self.failed = port, False, [], 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop_at:
            status, _, headers = request(self.port, "POST", "/v1/chat/completions", CHAT,
                                         conn=conn)
            with self.lock:
                if status == 200:
                    self.acked.append(headers["x-request-id"])
                else:
                    self.failed += 1
            if status == 0:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                time.sleep(0.01)
        conn.close()

    def finish(self):
        self.stop_at = True
        for t in self.threads:
            t.join(timeout=15)
        return set(self.acked), self.failed


def scenario(title):
    print(f"\n{title}", flush=True)


def kill_under_load(upstream):
    scenario("kill -9 under load")
    gw = Gateway(upstream)
    try:
        load = Load(gw.port)
        time.sleep(3)
        gw.stop(signal.SIGKILL)
        acked, _ = load.finish()
        gw.start()
        rows, integrity = gw.rows()
        lost = len(acked - rows)
        figure(f"{len(acked)} requests acknowledged, {len(rows)} rows after restart, {lost} lost")
        figure(f"integrity_check: {integrity}")
        target(lost <= WRITER_BATCH, f"lost at most one writer batch ({lost} <= {WRITER_BATCH})")
        target(integrity == "ok", "the database is intact after kill -9")
        status, _, _ = request(gw.port, "POST", "/v1/chat/completions", CHAT)
        target(status == 200, "the restarted gateway serves")
    finally:
        gw.cleanup()


def graceful_stop(upstream):
    scenario("graceful stop under load")
    gw = Gateway(upstream)
    try:
        load = Load(gw.port)
        time.sleep(3)
        code = gw.stop(signal.SIGTERM)
        acked, _ = load.finish()
        rows, integrity = gw.rows()
        lost = len(acked - rows)
        figure(f"{len(acked)} requests acknowledged, {len(rows)} rows, {lost} lost; exit {code}")
        target(lost == 0 and integrity == "ok", "graceful stop loses no row")
        target(code == 0, "exit status 0")
    finally:
        gw.cleanup()


def database_locked(upstream):
    # Longer than the store's busy timeout (5 s), so a write fails and is retried.
    scenario("database locked by another process for 12 s")
    gw = Gateway(upstream)
    try:
        db = sqlite3.connect(os.path.join(gw.data_dir, "clawbox.db"), timeout=10,
                             isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        load = Load(gw.port, threads=4)
        time.sleep(9)
        degraded = gw.health().get("status") == "degraded"
        time.sleep(3)
        acked, failed = load.finish()
        db.execute("COMMIT")
        db.close()
        deadline, lost = time.time() + 15, None
        while time.time() < deadline:
            rows, _ = gw.rows()
            lost = len(acked - rows)
            if lost == 0:
                break
            time.sleep(0.5)
        figure(f"{len(acked)} requests served while locked, {failed} failed; "
               f"/health {'degraded' if degraded else 'not degraded'}; {lost} rows missing after")
        target(failed == 0, "no request fails while the log cannot be written")
        target(degraded, "/health says degraded while it cannot")
        target(lost == 0, "every row is written once the lock is gone")
    finally:
        gw.cleanup()


def full_disk(upstream):
    scenario("full disk (a 4 MB tmpfs)")
    if os.geteuid() != 0:
        skip("needs root to mount a tmpfs")
        return
    mount = tempfile.mkdtemp(prefix="clawbox-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount]).returncode:
        skip("mount -t tmpfs failed here")
        os.rmdir(mount)
        return
    gw = None
    try:
        gw = Gateway(upstream, data_dir=mount)
        request(gw.port, "POST", "/v1/chat/completions", CHAT)
        filler = os.path.join(mount, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        statuses = [request(gw.port, "POST", "/v1/chat/completions", CHAT)[0]
                    for _ in range(300)]
        degraded = gw.health().get("status") == "degraded"
        os.remove(filler)
        time.sleep(3)
        ok = sum(1 for s in statuses if s == 200)
        figure(f"{ok} of {len(statuses)} requests answered 200 on a full disk; "
               f"/health {'degraded' if degraded else 'not degraded'}")
        target(ok == len(statuses), "a full disk never fails a request")
        target(degraded, "/health says degraded")
        status, _, _ = request(gw.port, "POST", "/v1/chat/completions", CHAT)
        target(status == 200, "served once space is back")
    finally:
        if gw:
            gw.stop(signal.SIGKILL)
        subprocess.run(["umount", mount])
        os.rmdir(mount)


def read_stream(port, headers, timeout=30):
    """Sends a streamed chat request; returns (status, bytes read, seconds, error)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    status, total, error = 0, 0, None
    try:
        conn.request("POST", "/v1/chat/completions", body=STREAM, headers=dict(HEADERS, **headers))
        response = conn.getresponse()
        status = response.status
        while True:
            chunk = response.read1(1 << 20)
            if not chunk:
                break
            total += len(chunk)
    except (OSError, http.client.HTTPException) as e:
        error = type(e).__name__
    finally:
        conn.close()
    return status, total, time.perf_counter() - started, error


def provider_faults(upstream):
    scenario("provider faults (idle timeout 2 s)")
    gw = Gateway(upstream, env={"CLAWBOX_IDLE_TIMEOUT": "2"})
    try:
        status, n, secs, error = read_stream(gw.port, {"x-fake-cut-after-chunks": "3"})
        figure(f"cut mid-stream: {status}, {n} bytes, ended after {secs:.2f} s ({error})")
        target(status == 200 and secs < 2 and error is not None,
               "a stream cut by the provider ends for the client at once, marked broken")
        status, n, secs, _ = read_stream(gw.port, {"x-fake-garbage": "1"})
        figure(f"garbage SSE: {status}, {n} bytes passed in {secs:.2f} s")
        target(status == 200 and n == 64 * 4096, "garbage SSE passes through untouched")
        for name, headers, want in [
            ("hang before headers", {"x-fake-headers-delay-ms": "10000"}, 504),
            ("hang after headers", {"x-fake-stall-body": "1"}, 504),
            ("connection reset", {"x-fake-reset": "1"}, 502),
        ]:
            started = time.perf_counter()
            status, body, _ = request(gw.port, "POST", "/v1/chat/completions", CHAT, headers)
            secs = time.perf_counter() - started
            code = json.loads(body or b"{}").get("error", {}).get("code")
            figure(f"{name}: {status} {code} after {secs:.2f} s")
            target(status == want and secs < 5, f"{name} gives {want} within the idle timeout")
        baseline = gw.rss_mb()
        peak = [baseline]
        sampling = True

        def sample():
            while sampling:
                peak[0] = max(peak[0], gw.rss_mb())
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        status, n, secs, error = read_stream(gw.port, {"x-fake-stream-mib": "200"}, timeout=120)
        sampling = False
        sampler.join()
        growth = peak[0] - baseline
        figure(f"200 MiB stream: {status}, {n / 2**20:.0f} MiB in {secs:.1f} s "
               f"({n / 2**20 / secs:.0f} MiB/s); RSS {baseline:.1f} -> peak {peak[0]:.1f} MB")
        target(status == 200 and n >= 200 * 2**20 and error is None, "200 MiB stream arrives whole")
        target(growth < 20, f"memory stays bounded (+{growth:.1f} MB < 20 MB)")
        status, _, _ = request(gw.port, "POST", "/v1/chat/completions", CHAT)
        target(status == 200, "the gateway still serves after every fault")
    finally:
        gw.cleanup()


def burst_at_the_limit(upstream):
    scenario("1,000 concurrent requests at a limit of 50 a minute")
    gw = Gateway(upstream, env={"CLAWBOX_RATE_LIMIT": "50"})
    try:
        with ThreadPoolExecutor(max_workers=200) as pool:
            statuses = list(pool.map(
                lambda _: request(gw.port, "POST", "/v1/chat/completions", CHAT)[0],
                range(1000)))
        ok, limited = statuses.count(200), statuses.count(429)
        figure(f"{ok} answered, {limited} refused with 429, {1000 - ok - limited} other")
        target(ok == 50 and limited == 950, "exactly the limit is admitted")
    finally:
        gw.cleanup()


def slow_connections(upstream):
    scenario("1,000 slow connections (a header byte every 2 s)")
    gw = Gateway(upstream)
    try:
        slow = []
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.setblocking(False)
            slow.append(s)
        head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        started, closed_at, latencies = time.perf_counter(), {}, []
        step = 0
        while len(closed_at) < len(slow) and time.perf_counter() - started < 30:
            for i, s in enumerate(slow):
                if i in closed_at:
                    continue
                try:
                    s.recv(4096)  # an end, or an answer: either way the gateway let go
                    closed_at[i] = time.perf_counter() - started
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    closed_at[i] = time.perf_counter() - started
                    continue
                if step % 2 == 0:
                    try:
                        s.send(head[(step // 2) % len(head):][:1])
                    except OSError:
                        closed_at[i] = time.perf_counter() - started
            for _ in range(10):
                t = time.perf_counter()
                status, _, _ = request(gw.port, "POST", "/v1/chat/completions", CHAT)
                latencies.append((time.perf_counter() - t, status))
            step += 1
            time.sleep(1)
        for s in slow:
            s.close()
        served = sum(1 for _, status in latencies if status == 200)
        times = sorted(t for t, _ in latencies)
        p99 = times[int(len(times) * 0.99) - 1] * 1000 if times else float("nan")
        last = max(closed_at.values()) if closed_at else float("nan")
        figure(f"{served} of {len(latencies)} ordinary requests served meanwhile, p99 {p99:.1f} ms")
        figure(f"{len(closed_at)} of {len(slow)} slow connections closed, the last after {last:.1f} s")
        target(served == len(latencies), "ordinary requests are all served")
        target(len(closed_at) == len(slow) and last < 13,
               "every slow connection is closed within the 10 s header timeout (+3 s)")
    finally:
        gw.cleanup()


def soak(upstream, seconds):
    scenario(f"soak: {seconds} s of mixed load")
    gw = Gateway(upstream)
    try:
        stop = time.time() + seconds
        counts = {"ok": 0, "failed": 0}
        lock = threading.Lock()

        def worker(kind):
            conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
            while time.time() < stop:
                if kind == "stream":
                    status = read_stream(gw.port, {})[0]
                elif kind == "models":
                    status = request(gw.port, "GET", "/v1/models", conn=conn)[0]
                else:
                    status = request(gw.port, "POST", "/v1/chat/completions", CHAT, conn=conn)[0]
                with lock:
                    counts["ok" if status == 200 else "failed"] += 1
            conn.close()

        threads = [threading.Thread(target=worker, args=(k,), daemon=True)
                   for k in ["chat", "chat", "stream", "models"]]
        for t in threads:
            t.start()
        samples = []
        while time.time() < stop:
            samples.append(gw.rss_mb())
            time.sleep(1)
        for t in threads:
            t.join(timeout=30)
        code = gw.stop(signal.SIGTERM)
        rows, _ = gw.rows()
        warm = samples[min(len(samples) - 1, max(1, len(samples) // 6))]
        growth = samples[-1] - warm
        figure(f"{counts['ok']} requests, {counts['failed']} failed; {len(rows)} rows; "
               f"RSS {samples[0]:.1f} -> {warm:.1f} (warm) -> {samples[-1]:.1f} MB")
        target(counts["failed"] == 0, "no request fails")
        target(len(rows) == counts["ok"] and code == 0, "one row per request")
        target(growth < 5, f"memory flat after warm-up (+{growth:.1f} MB < 5 MB)")
    finally:
        gw.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 20 s soak instead of 120 s")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 slow sockets of our own
    print(f"ClawBox reliability, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}: "
          f"{os.cpu_count()} cores, {platform.platform()}", flush=True)
    upstream_port = procs.free_port()
    fake = subprocess.Popen([os.path.join(RELEASE, "clawbox-fake-upstream"),
                             "--port", str(upstream_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if procs.wait_port(upstream_port, fake, timeout=20) is None:
            raise SystemExit("the fake provider did not start")
        for run in [kill_under_load, graceful_stop, database_locked, full_disk, provider_faults,
                    burst_at_the_limit, slow_connections]:
            run(upstream_port)
        soak(upstream_port, 20 if args.quick else 120)
    finally:
        fake.terminate()
        fake.wait()
    passed = sum(1 for p, _ in results if p)
    failed = len(results) - passed
    print(f"\n{passed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
