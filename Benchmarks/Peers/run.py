#!/usr/bin/env python3
"""Round-trip time of Courier and of peer WebSocket echo servers, measured side by side.

Builds the peers (release) and `courier` (release), then, for several rounds, starts
each peer in turn on 127.0.0.1, runs `courier bench rtt --raw-echo ws://127.0.0.1:PORT/
--json` against it, and runs `courier bench rtt --json` for Courier itself (which starts
its own `courier serve`). Peers are interleaved within each round, and the order rotates
from round to round, so a noisy machine hits every peer alike. Writes every run's JSON
to one results file and prints a table with the ratio of each p50 to raw SwiftNIO's.

    python3 Benchmarks/Peers/run.py                       # 5 rounds, 64 B, 20,000 timed messages
    python3 Benchmarks/Peers/run.py --rounds 3 --skip-build --peers nio-echo,courier-loop

Then: python3 Benchmarks/Peers/chart.py RESULTS.json (an SVG into docs/benchmarks/).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(HERE, "scripts")

# name -> (description, kind). kind "swift": an executable of this package; "command": argv
# before the port; "courier": `courier bench rtt` with its own server and that client.
PEERS = {
    "nio-echo": ("raw SwiftNIO (NIOWebSocket handler)", "swift"),
    "courier-loop": ("Courier, event-loop client (--client loop)", "courier"),
    "courier-app": ("Courier, CourierClient awaited (--client app)", "courier"),
    "courier-echo": ("courier serve --echo-path (no protocol)", "courier-echo"),
    "hummingbird-echo": ("hummingbird-websocket", "swift"),
    "websocketkit-echo": ("vapor/websocket-kit on NIO", "swift"),
    "python-websockets": ("Python websockets (asyncio)", "command"),
    "node-ws": ("Node ws", "command"),
}
BASELINE = "nio-echo"


def command_for(name):
    if name == "python-websockets":
        return [sys.executable, os.path.join(SCRIPTS, "python-websockets-echo.py")]
    if name == "node-ws":
        return ["node", os.path.join(SCRIPTS, "node-ws-echo.js")]
    raise KeyError(name)


def log(message):
    print(message, file=sys.stderr, flush=True)


def build(skip):
    if not skip:
        log("building the peers (release) …")
        subprocess.run(["swift", "build", "-c", "release"], cwd=HERE, check=True)
        log("building courier (release) …")
        subprocess.run(["swift", "build", "-c", "release", "--product", "courier"], cwd=ROOT, check=True)
    peers_bin = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=HERE, check=True, capture_output=True, text=True).stdout.strip()
    courier_bin = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    return peers_bin, os.path.join(courier_bin, "courier")


def pinned(argv, args):
    """argv under `taskset -c CPUS` unless --cpus none."""
    return argv if args.cpus == "none" else ["taskset", "-c", args.cpus] + argv


def start_peer(argv, args, courier_banner=False):
    """Starts a peer on port 0 (the kernel picks) and returns (process, port)."""
    argv = pinned(argv, args)
    env = dict(os.environ)
    env.setdefault("NODE_PATH", "/usr/share/nodejs")  # Debian's node-ws when node is not Debian's
    env["COURIER_SECRET"] = os.urandom(32).hex()
    process = subprocess.Popen(argv + ([] if courier_banner else ["0"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("listening "):
            return process, int(line.split()[1])
        banner = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
        if courier_banner and banner:
            return process, int(banner.group(1))
    process.kill()
    _, error = process.communicate(timeout=5)
    raise RuntimeError(f"{argv[0]} did not print 'listening PORT': {error.strip()[-500:]}")


def stop_peer(process):
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bench(courier, extra, args):
    argv = [courier, "bench", "rtt", "--json", "--count", str(args.count), "--warmup", str(args.warmup), "--payload", str(args.payload)] + extra
    if args.pipelined > 1:
        argv += ["--pipelined", str(args.pipelined)]
    result = subprocess.run(pinned(argv, args), capture_output=True, text=True, timeout=args.timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    start = result.stdout.index("{")
    return argv, json.loads(result.stdout[start:result.stdout.rindex("}") + 1])


def measure(name, peers_bin, courier, args):
    description, kind = PEERS[name]
    if kind == "courier":
        client = name.split("-", 1)[1]
        argv, report = bench(courier, ["--client", client], args)
        return argv, report
    if kind == "courier-echo":
        argv = [courier, "serve", "--host", "127.0.0.1", "--port", "0", "--threads", "1", "--log-level", "error", "--echo-path", "/echo"]
        process, port = start_peer(argv, args, courier_banner=True)
        path = "/echo"
    else:
        argv = [os.path.join(peers_bin, name)] if kind == "swift" else command_for(name)
        process, port = start_peer(argv, args)
        path = "/"
    try:
        return bench(courier, ["--raw-echo", f"ws://127.0.0.1:{port}{path}"], args)
    finally:
        stop_peer(process)


def summarize(runs, names):
    """Per peer: the median over rounds of each percentile, and of the same-round p50 ratio to the baseline."""
    by_round = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["peer"]] = run["report"]["rtt_us"]
    summary = {}
    for name in names:
        mine = [r["report"]["rtt_us"] for r in runs if r["peer"] == name]
        if not mine:
            continue
        entry = {key: statistics.median(m[key] for m in mine) for key in ("p50", "p99", "p999", "max")}
        ratios = [rnd[name]["p50"] / rnd[BASELINE]["p50"] for rnd in by_round.values() if name in rnd and BASELINE in rnd and rnd[BASELINE]["p50"]]
        entry["p50_ratio_to_nio"] = round(statistics.median(ratios), 3) if ratios else None
        rates = [r["report"]["messages_per_second"] for r in runs if r["peer"] == name and "messages_per_second" in r["report"]]
        if rates:
            entry["messages_per_second"] = statistics.median(rates)
        entry["rounds"] = len(mine)
        entry["p50_by_round"] = [m["p50"] for m in mine]
        entry["p50_best"] = min(entry["p50_by_round"])
        summary[name] = entry
    return summary


def table(summary):
    rates = any("messages_per_second" in entry for entry in summary.values())
    lines = [
        "| peer | p50 µs | p99 µs | p99.9 µs | max µs | p50 / raw SwiftNIO | best p50 µs |" + (" msgs/s |" if rates else ""),
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if rates else ""),
    ]
    for name, entry in summary.items():
        ratio = f"{entry['p50_ratio_to_nio']:.2f}×" if entry["p50_ratio_to_nio"] is not None else "–"
        lines.append(f"| {name} ({PEERS[name][0]}) | {entry['p50']:g} | {entry['p99']:g} | {entry['p999']:g} | {entry['max']:g} | {ratio} | {entry['p50_best']:g} |" + (f" {entry.get('messages_per_second', 0):,.0f} |" if rates else ""))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20_000, help="timed messages per run")
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--payload", type=int, default=64)
    parser.add_argument("--pipelined", type=int, default=1, help="messages in flight (above 1 adds msgs/s; courier-app is skipped)")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated, from: " + ", ".join(PEERS))
    parser.add_argument("--skip-build", action="store_true", help="use the release builds already there")
    parser.add_argument("--courier", help="the courier executable to run (default: this checkout's release build)")
    parser.add_argument("--cpus", default="0", help="taskset CPU list for the servers and the client (default 0: one CPU; 'none': not pinned)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per run")
    parser.add_argument("--output", help="results file (default: Benchmarks/Peers/results/rtt-DATE.json)")
    args = parser.parse_args()
    names = [n.strip() for n in args.peers.split(",") if n.strip()]
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        parser.error(f"unknown peers: {', '.join(unknown)}")
    if args.pipelined > 1 and "courier-app" in names:
        names.remove("courier-app")  # CourierClient.sendAcknowledged is awaited one at a time
    if "node-ws" in names and not shutil.which("node"):
        parser.error("node-ws needs node and Debian's node-ws: apt-get install -y nodejs node-ws")

    peers_bin, courier = build(args.skip_build)
    if args.courier:
        courier = os.path.abspath(args.courier)
    # Run a private copy: a rebuild of the checkout during the run must not swap the binary.
    snapshot = tempfile.mkdtemp(prefix="courier-peers-")
    shutil.copy2(courier, os.path.join(snapshot, "courier"))
    courier = os.path.join(snapshot, "courier")
    started = datetime.datetime.now(datetime.timezone.utc)
    runs, failures = [], []
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]  # rotate, so no peer always runs first or after the same one
        for name in order:
            log(f"round {round_index + 1}/{args.rounds}: {name} …")
            try:
                argv, report = measure(name, peers_bin, courier, args)
            except Exception as error:  # one failing peer must not lose the others' numbers
                log(f"  failed: {error}")
                failures.append({"peer": name, "round": round_index + 1, "error": str(error)})
                continue
            log(f"  p50 {report['rtt_us']['p50']} µs  p99 {report['rtt_us']['p99']} µs")
            runs.append({"peer": name, "round": round_index + 1, "command": ["courier"] + argv[1:], "report": report})

    summary = summarize(runs, names)
    results = {
        "benchmark": "rtt-peers",
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
        "settings": {"rounds": args.rounds, "count": args.count, "warmup": args.warmup, "payload_bytes": args.payload, "pipelined": args.pipelined, "cpus": args.cpus},
        "peers": {name: PEERS[name][0] for name in names},
        "baseline": BASELINE,
        "summary": summary,
        "runs": runs,
        "failures": failures,
    }
    shutil.rmtree(snapshot, ignore_errors=True)
    output = args.output or os.path.join(HERE, "results", f"rtt-{started.strftime('%Y%m%dT%H%M%SZ')}.json")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as handle:
        json.dump(results, handle, indent=2)
    print(f"RTT, {args.payload} B binary messages, {args.pipelined} in flight, {args.count} timed per run, median of {args.rounds} interleaved rounds, {os.cpu_count()} cores, pinned to CPUs {args.cpus}, {results['date_utc']}")
    print("(medians over rounds; the ratio is the median of p50 / nio-echo's p50 in the same round; best = lowest p50 of any round)")
    print(table(summary))
    if failures:
        print(f"{len(failures)} runs failed: " + "; ".join(f"{f['peer']} round {f['round']}: {f['error'][:120]}" for f in failures))
    print(f"results: {os.path.relpath(output, os.getcwd())}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
