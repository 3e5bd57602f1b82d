"""Turns the raw runs into the summary, the ratios and the targets, and renders the Markdown."""

import math
import os
import statistics

NAMES = {"direct": "upstream direct", "nginx": "nginx", "litellm": "LiteLLM", "clawbox": "ClawBox"}
OPEN_LOOP = ["500 req/s", "2000 req/s", "5000 req/s"]
NOTES = [
    "Logging on vs off: ClawBox has no switch to turn its request log off, so every ClawBox figure "
    "includes SQLite logging; its cost is measured as the CPU of the log-writer thread (the rest "
    "of the request path only queues a row), and \"with / without logging\" is total CPU over "
    "total minus the writer's.",
    "The fake upstream is restarted before every round, so every round starts from the same state.",
    "With 16 streams the direct baseline (client and tap on one event loop, one CPU) queues "
    "behind the other streams' chunks, so \"added\" figures there can come out negative: "
    "compare the proxies with each other.",
]


def pct(values, q):
    """Percentile q (0-100) by linear interpolation; NaN for no values."""
    values = sorted(values)
    if not values:
        return math.nan
    at = (len(values) - 1) * q / 100
    lo, hi = math.floor(at), math.ceil(at)
    return values[lo] + (values[hi] - values[lo]) * (at - lo)


def median(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def plain_summary(bench):
    out = {}
    for scenario, by_target in bench.plain.items():
        direct = {r["round"]: r for r in by_target["direct"]}
        out[scenario] = {}
        for target, runs in by_target.items():
            if target in bench.skipped[scenario]:
                out[scenario][target] = {"skipped": bench.skipped[scenario][target]}
                continue
            requests = sum(r["requests"] for r in runs)
            cpu = [r["cpu_s"] for r in runs if r["cpu_s"] is not None]
            kinds = {}
            for r in runs:
                for kind, n in r["error_kinds"].items():
                    kinds[kind] = kinds.get(kind, 0) + n
            out[scenario][target] = {
                "rounds": len(runs),
                "requests": requests,
                "errors": sum(r["errors"] for r in runs),
                "error_kinds": kinds,
                "rps": median(r["rps"] for r in runs),
                "achieved_rate_min": min((r["requests"] / r["seconds"] for r in runs), default=0),
                "p50_ms": median(r["p50_ms"] for r in runs),
                "p99_ms": median(r["p99_ms"] for r in runs),
                # Same-round differences, then the median over rounds.
                "added_p50_us": median((r["p50_ms"] - direct[r["round"]]["p50_ms"]) * 1e3
                                       for r in runs),
                "added_p99_us": median((r["p99_ms"] - direct[r["round"]]["p99_ms"]) * 1e3
                                       for r in runs),
                "cpu_us_per_request": sum(cpu) / requests * 1e6 if cpu and requests else None,
                "log_writer_us_per_request": (
                    sum(w) / requests * 1e6
                    if (w := [r["log_writer_cpu_s"] for r in runs
                              if r.get("log_writer_cpu_s") is not None]) and requests else None),
            }
    return out


def stream_summary(bench, chunks):
    out = {}
    for scenario, by_target in bench.stream_runs.items():
        out[scenario] = {}
        for target, results in by_target.items():
            ttfb = [r["ttfb"] * 1e3 for r in results if r["ttfb"] is not None]
            delays = [d * 1e6 for r in results for d in r["delays"]]
            cpu = bench.stream_cpu[scenario][target] if target != "direct" else None
            out[scenario][target] = {
                "streams": len(results),
                "failed": sum(1 for r in results if r["error"]),
                "errors": sorted({r["error"] for r in results if r["error"]}),
                "ttfb_p50_ms": pct(ttfb, 50),
                "ttfb_p99_ms": pct(ttfb, 99),
                "chunk_p50_us": pct(delays, 50),
                "chunk_p99_us": pct(delays, 99),
                "merged": sum(r["merged"] for r in results),
                "lost": sum(max(0, chunks - len(r["arrivals"])) for r in results),
                "usage_pct": 100 * sum(1 for r in results if r["usage"]) / max(1, len(results)),
                "cpu_us_per_chunk": cpu / (len(results) * chunks) * 1e6 if cpu and results
                else None,
            }
        base = out[scenario]["direct"]
        for s in out[scenario].values():
            s["ttfb_added_p50_us"] = (s["ttfb_p50_ms"] - base["ttfb_p50_ms"]) * 1e3
            s["chunk_added_p50_us"] = s["chunk_p50_us"] - base["chunk_p50_us"]
            s["chunk_added_p99_us"] = s["chunk_p99_us"] - base["chunk_p99_us"]
    return out


def ratio(a, b):
    try:
        r = a / b
    except (TypeError, ZeroDivisionError):
        return math.nan
    return r


def ratios(plain, stream):
    cb = lambda s: plain[s]["clawbox"]  # noqa: E731
    ng = lambda s: plain[s]["nginx"]  # noqa: E731
    ll = lambda s: plain[s]["litellm"]  # noqa: E731
    r = {}
    for s in ["sequential", *OPEN_LOOP]:
        if "skipped" in cb(s) or "skipped" in ng(s):
            continue
        r[f"added p50 ClawBox/nginx, {s}"] = ratio(cb(s)["added_p50_us"], ng(s)["added_p50_us"])
        r[f"added p99 ClawBox/nginx, {s}"] = ratio(cb(s)["added_p99_us"], ng(s)["added_p99_us"])
    r["sequential added p50 LiteLLM/ClawBox"] = ratio(ll("sequential")["added_p50_us"],
                                                      cb("sequential")["added_p50_us"])
    r["max throughput ClawBox/LiteLLM"] = ratio(cb("max (64 conn)")["rps"],
                                                ll("max (64 conn)")["rps"])
    r["max throughput ClawBox/nginx"] = ratio(cb("max (64 conn)")["rps"], ng("max (64 conn)")["rps"])
    for s in ["sequential", "max (64 conn)", "2000 req/s"]:
        if "skipped" not in ng(s):
            r[f"CPU/request ClawBox/nginx, {s}"] = ratio(cb(s)["cpu_us_per_request"],
                                                         ng(s)["cpu_us_per_request"])
        if "skipped" not in ll(s):
            r[f"CPU/request LiteLLM/ClawBox, {s}"] = ratio(ll(s)["cpu_us_per_request"],
                                                           cb(s)["cpu_us_per_request"])
    for s, by in stream.items():
        r[f"chunk added p50 ClawBox/nginx, {s}"] = ratio(by["clawbox"]["chunk_added_p50_us"],
                                                         by["nginx"]["chunk_added_p50_us"])
    return r


def targets(plain, stream, resources, launches_ms, rows):
    out = []

    def check(name, ok, value, limit):
        out.append({"target": name, "pass": bool(ok), "value": value, "limit": limit})

    def us(x):
        return f"{x:.0f} µs"

    for s in ["500 req/s", "2000 req/s"]:
        c, n = plain[s]["clawbox"], plain[s]["nginx"]
        check(f"added p50 at {s} ≤ 3× nginx's", c["added_p50_us"] <= 3 * n["added_p50_us"],
              us(c["added_p50_us"]), f"≤ {us(3 * n['added_p50_us'])} (nginx {us(n['added_p50_us'])})")
    for s in ["sequential", *OPEN_LOOP]:
        c, n = plain[s]["clawbox"], plain[s]["nginx"]
        check(f"added p99 ({s}) ≤ nginx's + 1 ms", c["added_p99_us"] <= n["added_p99_us"] + 1000,
              us(c["added_p99_us"]), f"≤ {us(n['added_p99_us'] + 1000)}")
    c, lt = plain["sequential"]["clawbox"], plain["sequential"]["litellm"]
    times = ratio(lt["added_p50_us"], c["added_p50_us"])
    check("sequential added p50 ≥ 30× lower than LiteLLM's", times >= 30, f"{times:.0f}× lower",
          f"≥ 30× (LiteLLM {lt['added_p50_us'] / 1e3:.2f} ms, ClawBox {us(c['added_p50_us'])})")
    for s, by in plain.items():
        cpu = by["clawbox"].get("cpu_us_per_request")
        check(f"CPU per request ({s}) ≤ 80 µs", cpu is not None and cpu <= 80,
              "?" if cpu is None else us(cpu), "≤ 80 µs")
    for s, by in plain.items():
        total, writer = (by["clawbox"].get(k) for k in ("cpu_us_per_request",
                                                         "log_writer_us_per_request"))
        if total is None or writer is None or total <= writer:
            continue
        times = total / (total - writer)
        check(f"logging on ≤ 1.5× the CPU of logging off ({s})", times <= 1.5,
              f"{times:.2f}× (writer {us(writer)} of {us(total)})", "≤ 1.5×")
    c = plain["5000 req/s"]["clawbox"]
    check("5000 req/s sustained on one core, zero errors",
          c["achieved_rate_min"] >= 0.97 * 5000 and c["errors"] == 0,
          f"{c['achieved_rate_min']:.0f} req/s (slowest round), {c['errors']} errors",
          "≥ 4850 req/s, 0 errors")
    c, lt, n = (plain["max (64 conn)"][t] for t in ("clawbox", "litellm", "nginx"))
    check("max throughput ≥ 100× LiteLLM (1 worker)", c["rps"] >= 100 * lt["rps"],
          f"{c['rps']:.0f} req/s = {ratio(c['rps'], lt['rps']):.0f}×", f"≥ {100 * lt['rps']:.0f} req/s")
    check("max throughput ≥ 0.3× nginx", c["rps"] >= 0.3 * n["rps"],
          f"{c['rps']:.0f} req/s = {ratio(c['rps'], n['rps']):.2f}×", f"≥ {0.3 * n['rps']:.0f} req/s")
    for s, by in stream.items():
        c, n = by["clawbox"], by["nginx"]
        check(f"stream first byte ({s}) ≤ nginx + 0.5 ms",
              c["ttfb_p50_ms"] <= n["ttfb_p50_ms"] + 0.5,
              f"{c['ttfb_p50_ms']:.3f} ms", f"≤ {n['ttfb_p50_ms'] + 0.5:.3f} ms")
        check(f"per-chunk added p50 ({s}) ≤ 150 µs", c["chunk_added_p50_us"] <= 150,
              us(c["chunk_added_p50_us"]), "≤ 150 µs")
        check(f"per-chunk added p99 ({s}) ≤ nginx's",
              c["chunk_added_p99_us"] <= n["chunk_added_p99_us"],
              us(c["chunk_added_p99_us"]), f"≤ {us(n['chunk_added_p99_us'])}")
    merged = sum(by["clawbox"]["merged"] for by in stream.values())
    lost = sum(by["clawbox"]["lost"] for by in stream.values())
    check("no merged or lost chunks", merged == 0 and lost == 0,
          f"{merged} merged, {lost} lost", "0 and 0")
    usage = min(by["clawbox"]["usage_pct"] for by in stream.values())
    check("usage captured in 100% of streams", usage >= 100, f"{usage:.1f}%", "100%")
    res = resources["clawbox"]
    check("RSS idle ≤ 30 MB", res["rss_idle_mb"] <= 30, f"{res['rss_idle_mb']:.1f} MB", "≤ 30 MB")
    check("RSS after the run ≤ 50 MB", res["rss_after_mb"] <= 50, f"{res['rss_after_mb']:.1f} MB",
          "≤ 50 MB")
    worst = max(launches_ms + [res["ready_ms"]])
    check("ready on the port ≤ 200 ms after launch", worst <= 200,
          f"{worst:.0f} ms (worst of {len(launches_ms) + 1} launches)", "≤ 200 ms")
    check("rows logged = requests served", rows["rows"] == rows["served"],
          f"{rows['rows']} rows / {rows['served']} requests", "equal")
    return out


def build(bench, profile, started, versions, machine, store, chunks, chunk_delay_ms, agents=()):
    plain = plain_summary(bench)
    stream = stream_summary(bench, chunks)
    return {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "profile": profile,
        "machine": machine,
        "versions": versions,
        "setup": {
            "rounds": bench.p["rounds"], "seconds_per_run": bench.p["run_s"],
            "stream_chunks": chunks, "chunk_delay_ms": chunk_delay_ms,
            "proxy_cpu": 0, "load_cpu": 1,
        },
        "plain": plain,
        "plain_rounds": bench.plain,
        "streams": stream,
        "resources": bench.resources,
        "clawbox_launches_ms": bench.launches_ms,
        "clawbox_rows": bench.clawbox_rows,
        "ratios": ratios(plain, stream),
        "targets": targets(plain, stream, bench.resources, bench.launches_ms, bench.clawbox_rows),
        "store": store,
        "agents": list(agents),
        "machine_load": bench.quiet,
        "notes": NOTES + [quiet_note(bench.quiet)],
    }


def quiet_note(q):
    share = q["other_cpu_s"] / ((os.cpu_count() or 1) * q["wall_s"]) * 100
    # /proc/stat is sampled at each tick, per-process times are exact: below ~1% the difference
    # is accounting noise.
    used = (f"{q['other_cpu_s']:.1f} CPU-seconds ({share:.1f}% of the machine)" if share >= 1
            else "no measurable CPU (under 1% of the machine)")
    note = (f"Other programs used {used} during the {q['wall_s']:.0f} s of measurements; "
            f"hypervisor steal {q['steal_s']:.1f} s.")
    if share > 2 or q["steal_s"] > 0.02 * q["wall_s"]:
        note += " **The machine was not quiet: figures are noisier than they should be.**"
    return note


def fmt(x, digits=0, unit=""):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}{unit}"


def markdown(res):
    m = res["machine"]
    v = res["versions"]
    lines = [
        f"# ClawBox benchmark, {res['date']} ({res['profile']} run)",
        "",
        f"{m['os']}, {m['cpus']} CPUs ({m['cpu']}), kernel {m['kernel']}. ClawBox {v['clawbox']}, "
        f"nginx {v['nginx']}, LiteLLM {v['litellm']} (1 worker), {v['oha']}.",
        f"Proxy under test on CPU 0; fake upstream, load generator and stream client on CPU 1. "
        f"{res['setup']['rounds']} rounds of {res['setup']['seconds_per_run']} s per scenario, "
        "targets interleaved; latencies are medians over rounds, \"added\" is minus the direct "
        "run of the same round (open loop: oha --latency-correction).",
        "",
        "## Requests (POST /v1/chat/completions, non-streamed)",
        "",
        "| scenario | target | req/s | p50 ms | p99 ms | added p50 µs | added p99 µs | CPU µs/req "
        "| errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for scenario, by in res["plain"].items():
        for t, s in by.items():
            if "skipped" in s:
                lines.append(f"| {scenario} | {NAMES[t]} | {s['skipped']} | | | | | | |")
                continue
            added = t != "direct"
            lines.append(
                f"| {scenario} | {NAMES[t]} | {fmt(s['rps'])} | {fmt(s['p50_ms'], 3)} | "
                f"{fmt(s['p99_ms'], 3)} | {fmt(s['added_p50_us']) if added else ''} | "
                f"{fmt(s['added_p99_us']) if added else ''} | {fmt(s['cpu_us_per_request'])} | "
                f"{s['errors']}{' ' + str(s['error_kinds']) if s['errors'] else ''} |")
    setup = res["setup"]
    lines += [
        "",
        f"## Streams ({setup['stream_chunks']} content chunks, {setup['chunk_delay_ms']} ms apart, "
        "include_usage)",
        "",
        "Per-chunk delay: from the moment a tap in front of the fake hands a chunk on to its "
        "arrival at the client; \"added\" is minus the direct baseline (client ↔ tap).",
        "",
        "| scenario | target | streams | first byte p50 ms | added µs | chunk p50 µs | chunk p99 µs "
        "| added p50 µs | added p99 µs | merged | lost | usage | CPU µs/chunk | failed |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for scenario, by in res["streams"].items():
        for t, s in by.items():
            added = t != "direct"
            lines.append(
                f"| {scenario} | {NAMES[t]} | {s['streams']} | {fmt(s['ttfb_p50_ms'], 3)} | "
                f"{fmt(s['ttfb_added_p50_us']) if added else ''} | {fmt(s['chunk_p50_us'])} | "
                f"{fmt(s['chunk_p99_us'])} | {fmt(s['chunk_added_p50_us']) if added else ''} | "
                f"{fmt(s['chunk_added_p99_us']) if added else ''} | {s['merged']} | {s['lost']} | "
                f"{fmt(s['usage_pct'])}% | {fmt(s['cpu_us_per_chunk'])} | {s['failed']}"
                f"{' ' + '; '.join(s['errors'])[:120] if s['failed'] else ''} |")
    lines += [
        "",
        "## Processes",
        "",
        "| target | ready ms (spawn → connect) | RSS idle MB | RSS after MB | peak RSS MB |",
        "|---|--:|--:|--:|--:|",
    ]
    for t, r in res["resources"].items():
        lines.append(f"| {NAMES[t]} | {fmt(r['ready_ms'], 1)} | {fmt(r['rss_idle_mb'], 1)} | "
                     f"{fmt(r.get('rss_after_mb'), 1)} | {fmt(r.get('rss_peak_mb'), 1)} |")
    rows = res["clawbox_rows"]
    launches = ", ".join(f"{x:.0f}" for x in res["clawbox_launches_ms"])
    lines += [
        "",
        f"ClawBox fresh launches, spawn → connect: {launches} ms. Request log after a graceful "
        f"stop (exit {rows['exit_code']}): {rows['rows']} rows for {rows['served']} requests "
        f"served (by status: {rows['rows_by_status']}).",
        "",
        "## Ratios",
        "",
    ]
    for name, value in res["ratios"].items():
        lines.append(f"- {name}: {fmt(value, 2)}")
    lines += ["", "## Targets (ClawBox)", "", "| | target | measured | limit |", "|---|---|---|---|"]
    for t in res["targets"]:
        lines.append(f"| {'PASS' if t['pass'] else '**FAIL**'} | {t['target']} | {t['value']} | "
                     f"{t['limit']} |")
    passed = sum(1 for t in res["targets"] if t["pass"])
    lines += ["", f"{passed} of {len(res['targets'])} targets met.", ""]
    if res["store"]:
        lines += ["## Store (cargo bench -p clawbox-store)", "", "```", *res["store"], "```", ""]
    if res.get("agents"):
        lines += ["## Agents (cargo bench -p clawbox-agents)", "", "```", *res["agents"], "```", ""]
    lines += ["## Notes", ""] + [f"- {n}" for n in res["notes"]] + [""]
    return "\n".join(lines)
