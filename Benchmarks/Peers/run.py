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
    python3 Benchmarks/Peers/run.py --throughput 16       # also msgs/s per peer with 16 in flight, same rounds
    python3 Benchmarks/Peers/run.py --peers nio-echo,courier-loop,courier-loop-tls   # ws:// against wss://
    python3 Benchmarks/Peers/run.py --peers nio-echo,courier-loop --before /tmp/courier-old   # a change, before and after

Then: python3 Benchmarks/Peers/chart.py RESULTS.json (SVGs into docs/benchmarks/: the
latency percentiles, and with --throughput the msgs/s per peer).

The `-tls` rows run Courier over wss:// (`courier bench rtt --tls-cert … --tls-key …`)
with a self-signed certificate for 127.0.0.1 that this script makes with openssl in a
temporary directory (or --tls-cert/--tls-key); the client trusts exactly that certificate.
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
    "courier-appexecutor": ("Courier, CourierClient awaited on its event loop (--client app-executor)", "courier"),
    "courier-loop-tls": ("Courier over wss:// (TLS 1.3), event-loop client", "courier"),
    "courier-app-tls": ("Courier over wss:// (TLS 1.3), CourierClient awaited", "courier"),
    "courier-echo": ("courier serve --echo-path (no protocol)", "courier-echo"),
    "hummingbird-echo": ("hummingbird-websocket", "swift"),
    "websocketkit-echo": ("vapor/websocket-kit on NIO", "swift"),
    "python-websockets": ("Python websockets (asyncio)", "command"),
    "node-ws": ("Node ws", "command"),
}
BASELINE = "nio-echo"
# Suffix of the rows that run --before's executable (client and server) instead of this checkout's.
BEFORE = "@before"


def describe(name):
    if name.endswith(BEFORE):
        return PEERS[name[:-len(BEFORE)]][0] + " (--before build)"
    return PEERS[name][0]


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


def make_certificate(directory):
    """A self-signed certificate (P-256) for 127.0.0.1 and localhost; returns (cert, key)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
    ], check=True, capture_output=True)
    return cert, key


def bench(courier, extra, args, pipelined):
    argv = [courier, "bench", "rtt", "--json", "--count", str(args.count), "--warmup", str(args.warmup), "--payload", str(args.payload)] + extra
    if pipelined > 1:
        argv += ["--pipelined", str(pipelined)]
    result = subprocess.run(pinned(argv, args), capture_output=True, text=True, timeout=args.timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    start = result.stdout.index("{")
    return argv, json.loads(result.stdout[start:result.stdout.rindex("}") + 1])


def measure(name, peers_bin, courier, args, pipelined):
    if name.endswith(BEFORE):
        name, courier = name[:-len(BEFORE)], args.before
    description, kind = PEERS[name]
    if kind == "courier":
        client = {"appexecutor": "app-executor"}.get(name.split("-")[1], name.split("-")[1])
        tls = ["--tls-cert", args.tls_cert, "--tls-key", args.tls_key] if name.endswith("-tls") else []
        argv, report = bench(courier, ["--client", client] + tls, args, pipelined)
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
        return bench(courier, ["--raw-echo", f"ws://127.0.0.1:{port}{path}"], args, pipelined)
    finally:
        stop_peer(process)


def ratio(mine, baseline):
    """p50 ÷ the baseline's p50, in nanoseconds when both runs report them."""
    if mine.get("ns") and baseline.get("ns"):
        return mine["ns"]["p50"] / baseline["ns"]["p50"]
    return mine["p50"] / baseline["p50"]


def summarize(runs, names):
    """Per peer: the median over rounds of each percentile, and of the same-round p50 ratio to the baseline."""
    by_round, rates_by_round = {}, {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["peer"]] = dict(run["report"]["rtt_us"], ns=run["report"].get("rtt_ns"))
        if "messages_per_second" in run["report"]:
            rates_by_round.setdefault(run["round"], {})[run["peer"]] = run["report"]["messages_per_second"]
    summary = {}
    for name in names:
        mine = [r["report"]["rtt_us"] for r in runs if r["peer"] == name]
        if not mine:
            continue
        entry = {key: statistics.median(m[key] for m in mine) for key in ("p50", "p99", "p999", "max")}
        fine = [r["report"]["rtt_ns"] for r in runs if r["peer"] == name and "rtt_ns" in r["report"]]
        if len(fine) == len(mine):
            entry["p50_ns"] = statistics.median(f["p50"] for f in fine)
        # The ratio from the nanosecond medians when both rows have them (µs buckets are
        # too coarse: 16 against 20 µs could be anything from 1.18× to 1.31×).
        ratios = [ratio(rnd[name], rnd[BASELINE]) for rnd in by_round.values() if name in rnd and BASELINE in rnd and rnd[BASELINE]["p50"]]
        entry["p50_ratio_to_nio"] = round(statistics.median(ratios), 3) if ratios else None
        rates = [r["report"]["messages_per_second"] for r in runs if r["peer"] == name and "messages_per_second" in r["report"]]
        if rates:
            entry["messages_per_second"] = statistics.median(rates)
            rate_ratios = [rnd[name] / rnd[BASELINE] for rnd in rates_by_round.values() if name in rnd and rnd.get(BASELINE)]
            entry["messages_per_second_ratio_to_nio"] = round(statistics.median(rate_ratios), 3) if rate_ratios else None
        plain = name.replace("-tls", "")
        if plain != name:
            # wss:// against ws:// of the same client, round by round.
            tls_ratios = [ratio(rnd[name], rnd[plain]) for rnd in by_round.values() if name in rnd and plain in rnd and rnd[plain]["p50"]]
            entry["p50_ratio_to_ws"] = round(statistics.median(tls_ratios), 3) if tls_ratios else None
        if name.endswith(BEFORE):
            # This checkout's build against --before's, round by round.
            after = name[:-len(BEFORE)]
            change = [ratio(rnd[after], rnd[name]) for rnd in by_round.values() if name in rnd and after in rnd and rnd[name]["p50"]]
            entry["p50_after_over_before"] = round(statistics.median(change), 3) if change else None
        connects = [r["report"]["connect_us"] for r in runs if r["peer"] == name and "connect_us" in r["report"]]
        if connects:
            entry["connect_us"] = statistics.median(connects)
        entry["rounds"] = len(mine)
        entry["p50_by_round"] = [m["p50"] for m in mine]
        entry["p50_best"] = min(entry["p50_by_round"])
        summary[name] = entry
    return summary


def table(summary):
    rates = any("messages_per_second" in entry for entry in summary.values())
    connects = any("connect_us" in entry for entry in summary.values())
    lines = [
        "| peer | p50 µs | p99 µs | p99.9 µs | max µs | p50 / raw SwiftNIO | best p50 µs |" + (" msgs/s | msgs/s / raw SwiftNIO |" if rates else "") + (" connect µs |" if connects else ""),
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if rates else "") + ("---:|" if connects else ""),
    ]
    for name, entry in summary.items():
        ratio = f"{entry['p50_ratio_to_nio']:.2f}×" if entry["p50_ratio_to_nio"] is not None else "–"
        p50 = f"{entry['p50']:g}" + (f" ({entry['p50_ns'] / 1000:.2f})" if "p50_ns" in entry else "")
        line = f"| {name} ({describe(name)}) | {p50} | {entry['p99']:g} | {entry['p999']:g} | {entry['max']:g} | {ratio} | {entry['p50_best']:g} |"
        if rates:
            rate_ratio = entry.get("messages_per_second_ratio_to_nio")
            line += f" {entry.get('messages_per_second', 0):,.0f} | " + (f"{rate_ratio:.2f}×" if rate_ratio is not None else "–") + " |"
        if connects:
            line += f" {entry['connect_us']:,.0f} |" if "connect_us" in entry else " – |"
        lines.append(line)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20_000, help="timed messages per run")
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--payload", type=int, default=64)
    parser.add_argument("--pipelined", type=int, default=1, help="messages in flight (above 1 adds msgs/s; courier-app is skipped)")
    parser.add_argument("--throughput", type=int, default=0, metavar="N",
                        help="also run every peer with N in flight in each round (msgs/s per peer, 'throughput' in the results; courier-app is skipped)")
    parser.add_argument("--tls-cert", help="PEM certificate for the -tls peers (default: a self-signed one for 127.0.0.1 made with openssl)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--before", metavar="COURIER",
                        help="another courier executable (e.g. a build of the previous commit): every courier-* peer also runs with it, as NAME@before, in the same rounds")
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
    if args.pipelined > 1:
        names = [n for n in names if not n.startswith("courier-app")]  # CourierClient.sendAcknowledged is awaited one at a time
    if args.throughput and args.throughput == args.pipelined:
        parser.error("--throughput must differ from --pipelined")
    if args.before:
        # Its own private copy too; the rows interleave with this checkout's.
        names += [n + BEFORE for n in names if PEERS[n][1] in ("courier", "courier-echo")]
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if "node-ws" in names and not shutil.which("node"):
        parser.error("node-ws needs node and Debian's node-ws: apt-get install -y nodejs node-ws")

    peers_bin, courier = build(args.skip_build)
    if args.courier:
        courier = os.path.abspath(args.courier)
    # Run a private copy: a rebuild of the checkout during the run must not swap the binary.
    snapshot = tempfile.mkdtemp(prefix="courier-peers-")
    shutil.copy2(courier, os.path.join(snapshot, "courier"))
    courier = os.path.join(snapshot, "courier")
    if args.before:
        shutil.copy2(args.before, os.path.join(snapshot, "courier-before"))
        args.before = os.path.join(snapshot, "courier-before")
    if any(n.replace(BEFORE, "").endswith("-tls") for n in names) and args.tls_cert is None:
        args.tls_cert, args.tls_key = make_certificate(snapshot)
    # Measurements of one round: (peer, in flight); the throughput pass runs in the same rounds.
    passes = [(args.pipelined, names)]
    if args.throughput > 1:
        passes.append((args.throughput, [n for n in names if not n.startswith("courier-app")]))
    started = datetime.datetime.now(datetime.timezone.utc)
    runs, failures = [], []
    for round_index in range(args.rounds):
        for pipelined, pass_names in passes:
            shift = round_index % len(pass_names)
            order = pass_names[shift:] + pass_names[:shift]  # rotate, so no peer always runs first or after the same one
            for name in order:
                log(f"round {round_index + 1}/{args.rounds}: {name}, {pipelined} in flight …")
                try:
                    argv, report = measure(name, peers_bin, courier, args, pipelined)
                except Exception as error:  # one failing peer must not lose the others' numbers
                    log(f"  failed: {error}")
                    failures.append({"peer": name, "round": round_index + 1, "pipelined": pipelined, "error": str(error)})
                    continue
                rate = f"  {report['messages_per_second']:,} msgs/s" if "messages_per_second" in report else ""
                log(f"  p50 {report['rtt_us']['p50']} µs  p99 {report['rtt_us']['p99']} µs{rate}")
                runs.append({"peer": name, "round": round_index + 1, "pipelined": pipelined, "command": ["courier"] + argv[1:], "report": report})

    summary = summarize([r for r in runs if r["pipelined"] == args.pipelined], names)
    throughput = summarize([r for r in runs if r["pipelined"] == args.throughput], passes[1][1]) if len(passes) > 1 else None
    results = {
        "benchmark": "rtt-peers",
        "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
        "settings": {"rounds": args.rounds, "count": args.count, "warmup": args.warmup, "payload_bytes": args.payload, "pipelined": args.pipelined, "cpus": args.cpus,
                     "throughput_pipelined": args.throughput if throughput else None},
        "peers": {name: describe(name) for name in names},
        "baseline": BASELINE,
        "summary": summary,
        "throughput": throughput,
        "runs": runs,
        "failures": failures,
    }
    shutil.rmtree(snapshot, ignore_errors=True)
    output = args.output or os.path.join(HERE, "results", f"rtt-{started.strftime('%Y%m%dT%H%M%SZ')}.json")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as handle:
        json.dump(results, handle, indent=2)
    print(f"RTT, {args.payload} B binary messages, {args.pipelined} in flight, {args.count} timed per run, median of {args.rounds} interleaved rounds, {os.cpu_count()} cores, pinned to CPUs {args.cpus}, {results['date_utc']}")
    print("(medians over rounds; p50 in µs buckets, in brackets from the nanosecond histogram; the ratio is the median of p50 / nio-echo's p50 in the same round, in nanoseconds; best = lowest p50 of any round)")
    print(table(summary))
    for name, entry in summary.items():
        if entry.get("p50_after_over_before") is not None:
            print(f"{name[:-len(BEFORE)]}: p50 of this build ÷ p50 of --before in the same round, median: {entry['p50_after_over_before']:.3f}")
        if entry.get("p50_ratio_to_ws") is not None:
            print(f"{name}: p50 over wss:// ÷ over ws:// ({name.replace('-tls', '')}) in the same round, median: {entry['p50_ratio_to_ws']:.2f}×")
    if throughput:
        print(f"\nThroughput: {args.throughput} in flight, same rounds (msgs/s ratio: median of msgs/s / nio-echo's in the same round)")
        print(table(throughput))
    if failures:
        print(f"{len(failures)} runs failed: " + "; ".join(f"{f['peer']} round {f['round']}: {f['error'][:120]}" for f in failures))
    print(f"results: {os.path.relpath(output, os.getcwd())}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
