#!/usr/bin/env python3
"""Draws the latency percentiles per peer of a `run.py` results file as an SVG.

    python3 Benchmarks/Peers/chart.py Benchmarks/Peers/results/rtt-DATE.json [docs/benchmarks/rtt-peers.svg]

The SVG is written by hand (no plotting library): one row per peer, one bar per
percentile (p50, p99, p99.9) on a logarithmic microsecond axis, medians over rounds.
"""
import html
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks", "rtt-peers.svg")
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


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as handle:
        results = json.load(handle)
    output = sys.argv[2] if len(sys.argv) == 3 else DEFAULT_OUTPUT
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as handle:
        handle.write(svg(results))
    print(output)


if __name__ == "__main__":
    main()
