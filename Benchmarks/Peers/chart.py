#!/usr/bin/env python3
"""Draws a `run.py` results file as SVG charts: latency percentiles per peer and, when
the run measured it, throughput (msgs/s) per peer.

    python3 Benchmarks/Peers/chart.py Benchmarks/Peers/results/rtt-DATE.json [docs/benchmarks/rtt-peers.svg]
        [--throughput-output docs/benchmarks/throughput-peers.svg]

The SVGs are written by hand (no plotting library). Latency: one row per peer, one bar
per percentile (p50, p99, p99.9) on a logarithmic microsecond axis, medians over
rounds. Throughput (a run with `--throughput N`, or one with `--pipelined N`): one bar
per peer, msgs/s on a linear axis, median over rounds, with the same-round ratio to
raw SwiftNIO.
"""
import argparse
import html
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks", "rtt-peers.svg")
DEFAULT_THROUGHPUT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks", "throughput-peers.svg")
SERIES = [("p50", "p50", "#2b6cb0"), ("p99", "p99", "#dd8a1f"), ("p999", "p99.9", "#c53030")]


def svg(results):
    summary = results["summary"]
    names = list(summary)
    left, right, top, bar, gap = 300, 60, 70, 13, 14
    width = 960
    row = bar * len(SERIES) + gap
    height = top + row * len(names) + 60
    values = [summary[n][key] for n in names for key, _, _ in SERIES if summary[n][key] > 0]
    low = 10 ** math.floor(math.log10(max(1, min(values))))
    high = 10 ** math.ceil(math.log10(max(values)))
    if high <= low:
        high = low * 10
    plot = width - left - right

    def x(value):
        return left + plot * (math.log10(max(value, low)) - math.log10(low)) / (math.log10(high) - math.log10(low))

    settings = results["settings"]
    title = (f"Round-trip time, {settings['payload_bytes']} B binary messages, {settings.get('pipelined', 1)} in flight, "
             f"{settings['count']} timed per run, median of {settings['rounds']} rounds")
    cpus = settings.get("cpus", "none")
    pinning = "client and server pinned to CPU " + cpus if cpus != "none" else "not pinned"
    subtitle = f"{results['date_utc']}, {results['machine']['cores']} cores, {pinning}, loopback, release builds; log scale"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">{html.escape(subtitle)}</text>',
    ]
    decade = low
    while decade <= high:
        for multiple in range(1, 10):
            tick = decade * multiple
            if tick > high:
                break
            major = multiple == 1
            out.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 50}" stroke="{"#bbb" if major else "#eee"}"/>')
            if major:
                label = f"{tick:g} µs" if tick < 1000 else f"{tick / 1000:g} ms"
                out.append(f'<text x="{x(tick):.1f}" y="{height - 34}" text-anchor="middle" fill="#333">{label}</text>')
        decade *= 10
    for index, name in enumerate(names):
        y0 = top + index * row
        out.append(f'<text x="{left - 8}" y="{y0 + 11}" text-anchor="end" fill="#111" font-weight="bold">{html.escape(name)}</text>')
        out.append(f'<text x="{left - 8}" y="{y0 + 24}" text-anchor="end" fill="#444" font-size="11">{html.escape(results["peers"].get(name, ""))}</text>')
        ratio = summary[name].get("p50_ratio_to_nio")
        if ratio is not None:
            out.append(f'<text x="{left - 8}" y="{y0 + 37}" text-anchor="end" fill="#666" font-size="11">p50 {ratio:.2f}× raw SwiftNIO</text>')
        for series, (key, _, color) in enumerate(SERIES):
            value = summary[name][key]
            y = y0 + series * bar
            out.append(f'<rect x="{left}" y="{y}" width="{max(1, x(value) - left):.1f}" height="{bar - 2}" fill="{color}"/>')
            out.append(f'<text x="{x(value) + 4:.1f}" y="{y + bar - 4}" fill="#333" font-size="10">{value:g}</text>')
    legend_x = left
    for key, label, color in SERIES:
        out.append(f'<rect x="{legend_x}" y="{height - 22}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{legend_x + 16}" y="{height - 12}">{label}</text>')
        legend_x += 80
    out.append("</svg>")
    return "\n".join(out) + "\n"


def throughput_of(results):
    """(summary, messages in flight) of the run's throughput measurements, or None."""
    if results.get("throughput"):
        return results["throughput"], results["settings"]["throughput_pipelined"]
    if any("messages_per_second" in entry for entry in results["summary"].values()):
        return results["summary"], results["settings"]["pipelined"]
    return None


def throughput_svg(results, summary, pipelined):
    names = [n for n in summary if "messages_per_second" in summary[n]]
    left, right, top, bar, gap = 300, 140, 70, 22, 14
    width = 960
    height = top + (bar + gap) * len(names) + 60
    values = [summary[n]["messages_per_second"] for n in names]
    # A round upper end: 1, 2 or 5 × 10^k above the largest value.
    magnitude = 10 ** math.floor(math.log10(max(values)))
    high = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= max(values))
    step = high / 5
    plot = width - left - right

    def x(value):
        return left + plot * value / high

    settings = results["settings"]
    title = (f"Throughput, {settings['payload_bytes']} B binary messages, {pipelined} in flight on one connection, "
             f"median of {settings['rounds']} rounds")
    cpus = settings.get("cpus", "none")
    pinning = "client and server pinned to CPU " + cpus if cpus != "none" else "not pinned"
    subtitle = f"{results['date_utc']}, {results['machine']['cores']} cores, {pinning}, loopback, release builds; messages per second"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">{html.escape(subtitle)}</text>',
    ]
    tick = 0.0
    while tick <= high + step / 2:
        out.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 50}" stroke="{"#bbb" if tick == 0 else "#e4e4e4"}"/>')
        label = f"{tick / 1000:g} k" if tick < 1_000_000 else f"{tick / 1_000_000:g} M"
        out.append(f'<text x="{x(tick):.1f}" y="{height - 34}" text-anchor="middle" fill="#333">{label}</text>')
        tick += step
    for index, name in enumerate(names):
        y0 = top + index * (bar + gap)
        entry = summary[name]
        out.append(f'<text x="{left - 8}" y="{y0 + 10}" text-anchor="end" fill="#111" font-weight="bold">{html.escape(name)}</text>')
        out.append(f'<text x="{left - 8}" y="{y0 + 23}" text-anchor="end" fill="#444" font-size="11">{html.escape(results["peers"].get(name, ""))}</text>')
        value = entry["messages_per_second"]
        out.append(f'<rect x="{left}" y="{y0}" width="{max(1, x(value) - left):.1f}" height="{bar}" fill="#2f855a"/>')
        ratio = entry.get("messages_per_second_ratio_to_nio")
        label = f"{value:,.0f}" + (f" ({ratio:.2f}× raw SwiftNIO)" if ratio is not None else "")
        out.append(f'<text x="{x(value) + 4:.1f}" y="{y0 + bar - 7}" fill="#333" font-size="11">{label}</text>')
    out.append(f'<text x="{left}" y="{height - 12}" fill="#555" font-size="11">Courier rows answer each read batch with one cumulative Acknowledge; the echo servers write every message back.</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    print(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="a run.py results file")
    parser.add_argument("output", nargs="?", default=DEFAULT_OUTPUT, help="the latency chart (default: docs/benchmarks/rtt-peers.svg)")
    parser.add_argument("--throughput-output", default=DEFAULT_THROUGHPUT_OUTPUT,
                        help="the throughput chart, when the run measured msgs/s (default: docs/benchmarks/throughput-peers.svg)")
    parser.add_argument("--no-latency", action="store_true", help="only the throughput chart")
    args = parser.parse_args()
    with open(args.results) as handle:
        results = json.load(handle)
    if not args.no_latency:
        write(args.output, svg(results))
    throughput = throughput_of(results)
    if throughput:
        write(args.throughput_output, throughput_svg(results, *throughput))


if __name__ == "__main__":
    main()
