#!/usr/bin/env python3
"""Courier server variants against echo peers, interleaved, with the CPU each side spends.

For finding out what a part of the server's path costs: each VARIANT is a `courier
serve` (this checkout's release build, or another executable, with environment
variables set, e.g. switches of a temporary build) or a peer echo server on 127.0.0.1,
pinned to one CPU. In each round every one is started, timed with the event-loop client
(`courier bench rtt --client loop`, or `--raw-echo` for a peer) and stopped, the order
alternating per round: a fresh process per round, because on this VM one process can
stay in a slow mode (p50 +40 %) for its whole life, and medians over rounds then see
through it. Printed per variant: the median p50, the median of
p50 ÷ nio-echo's p50 in the same round, and the CPU time per round trip of the server
and of the client (user and system, from /proc and os.times(): 10 ms ticks, so good
to ±0.3 µs over a 60,000-message run).

    python3 Benchmarks/Peers/scripts/variants.py 8 60000 nio-echo node-ws \\
        now=.build/release/courier before=/tmp/courier-old \\
        nobroker=/tmp/courier-ablated:ABL_BROKER norouting=/tmp/courier-ablated:ABL_ROUTE

VARIANT: a peer name (nio-echo, websocketkit-echo, node-ws), or NAME=EXECUTABLE[:ENV,ENV…].
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PEERS = {
    "nio-echo": [os.path.join(ROOT, "Benchmarks/Peers/.build/release/nio-echo")],
    "websocketkit-echo": [os.path.join(ROOT, "Benchmarks/Peers/.build/release/websocketkit-echo")],
    "node-ws": ["node", os.path.join(HERE, "node-ws-echo.js")],
}
SECRET = os.urandom(32).hex()
PIN = ["taskset", "-c", "0"]


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds, count, specs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    tick = 1e6 / os.sysconf("SC_CLK_TCK")
    warmup = 2_000
    variants = {}
    token_tool = None
    for index, spec in enumerate(specs):
        port = 18_600 + index
        env = dict(os.environ)
        env.setdefault("NODE_PATH", "/usr/share/nodejs")
        if spec in PEERS:
            name, executable, argv = spec, None, PEERS[spec] + [str(port)]
        else:
            name, _, rest = spec.partition("=")
            executable, _, switches = rest.partition(":")
            for switch in filter(None, switches.split(",")):
                env[switch] = "1"
            argv = [executable, "serve", "--port", str(port), "--secret", SECRET, "--threads", "1", "--log-level", "error",
                    "--messages-per-second", "1000000000", "--bytes-per-second", "1000000000000"]
            token_tool = token_tool or executable
        variants[name] = (argv, env, port, executable)
    client_tool = token_tool or os.path.join(ROOT, ".build/release/courier")
    token = subprocess.run([client_tool, "token", "--secret", SECRET, "--sub", "bench", "--publish", ">", "--subscribe", ">"],
                           capture_output=True, text=True, check=True).stdout.strip() if token_tool else None
    results = {name: [] for name in variants}
    for round_index in range(rounds):
        order = list(variants) if round_index % 2 == 0 else list(reversed(variants))
        for name in order:
            server, env, port, executable = variants[name]
            process = subprocess.Popen(PIN + server, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(1)
                if executable is None:
                    argv = [client_tool, "bench", "rtt", "--raw-echo", f"ws://127.0.0.1:{port}/"]
                else:
                    argv = [executable, "bench", "rtt", "--client", "loop", "--url", f"ws://127.0.0.1:{port}/", "--token", token]
                before, started = cpu_ticks(process.pid), os.times()
                out = subprocess.run(PIN + argv + ["--count", str(count), "--warmup", str(warmup), "--json"],
                                     capture_output=True, text=True, check=True).stdout
                after, ended = cpu_ticks(process.pid), os.times()
                report = json.loads(out[out.index("{"):out.rindex("}") + 1])
                messages = count + warmup
                results[name].append((
                    report["rtt_ns"]["p50"] / 1000,
                    (after[0] - before[0]) * tick / messages, (after[1] - before[1]) * tick / messages,
                    (ended.children_user - started.children_user) * 1e6 / messages,
                    (ended.children_system - started.children_system) * 1e6 / messages,
                ))
            finally:
                process.terminate()
                process.wait()
    baseline = results.get("nio-echo")
    print(f"{rounds} rounds of {count} timed round trips, 64 B, pinned to CPU 0; medians over rounds; CPU in µs per round trip")
    print("| variant | p50 µs | p50 ÷ nio-echo | server user | server sys | client user | client sys |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rows in results.items():
        median = lambda column: statistics.median(row[column] for row in rows)
        ratio = statistics.median(row[0] / base[0] for row, base in zip(rows, baseline)) if baseline else float("nan")
        print(f"| {name} | {median(0):.2f} | {ratio:.3f} | {median(1):.2f} | {median(2):.2f} | {median(3):.2f} | {median(4):.2f} |")


if __name__ == "__main__":
    main()
