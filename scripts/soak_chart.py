#!/usr/bin/env python3
"""Draws the throughput of a `courier bench soak --json` run over time, with the faults marked.

    courier bench soak --clients 200 --duration 60 --profile flaky --restart-at 30 --json > soak.json
    python3 scripts/soak_chart.py soak.json [docs/benchmarks/soak.svg]

The SVG is written by hand (no plotting library): messages acknowledged (sent) and
delivered per second as lines; below them, one strip per fault kind: resets and black
holes injected in that second (bars), reconnects (bars), outage seconds (shaded), and
the server restart (a dashed line through the whole chart).
"""
import html
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(ROOT, "docs", "benchmarks", "soak.svg")
LINES = [("sent", "acknowledged (sent) / s", "#2b6cb0"), ("delivered", "delivered / s", "#2f855a")]
STRIPS = [("resets", "resets", "#c53030"), ("black_holes", "black holes", "#6b46c1"), ("reconnects", "reconnects", "#dd8a1f")]


def svg(result):
    timeline = result["timeline"]
    seconds = max(1, len(timeline))
    width, left, right, top = 960, 70, 30, 64
    plot_height, strip_height, strip_gap = 260, 34, 10
    height = top + plot_height + 30 + len(STRIPS) * (strip_height + strip_gap) + 50
    plot_width = width - left - right
    peak = max([1] + [point[key] for point in timeline for key, _, _ in LINES])

    def x(second):
        return left + plot_width * second / seconds

    def y(value):
        return top + plot_height - plot_height * value / peak

    title = (f"courier bench soak: {result['clients']} clients, {result['rate_per_client']} acknowledged msg/s each, "
             f"profile {result['profile']}, seed {result['seed']}")
    subtitle = (f"sent {result['sent']}, delivered {result['delivered']}, lost {result['lost']}, duplicated {result['duplicated']}, "
                f"out of order {result['out_of_order']}; recovery p99 {result['recovery_ms']['p99']} ms; "
                f"{result['build']} build, {result['cores']} cores")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">{html.escape(subtitle)}</text>',
    ]
    bottom = height - 50
    for index, point in enumerate(timeline):
        if point.get("outage"):
            out.append(f'<rect x="{x(index):.1f}" y="{top}" width="{x(index + 1) - x(index):.1f}" height="{bottom - top}" fill="#fed7d7"/>')
    for step in range(0, 5):
        value = peak * step / 4
        out.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right}" y2="{y(value):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#333">{value:.0f}</text>')
    tick = max(1, seconds // 12)
    for second in range(0, seconds + 1, tick):
        out.append(f'<text x="{x(second):.1f}" y="{bottom + 16}" text-anchor="middle" fill="#333">{second} s</text>')
    for key, label, color in LINES:
        points = " ".join(f"{x(i + 0.5):.1f},{y(point[key]):.1f}" for i, point in enumerate(timeline))
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
    strip_top = top + plot_height + 30
    for row, (key, label, color) in enumerate(STRIPS):
        y0 = strip_top + row * (strip_height + strip_gap)
        strip_peak = max([1] + [point[key] for point in timeline])
        out.append(f'<text x="{left - 6}" y="{y0 + strip_height / 2 + 4}" text-anchor="end" fill="{color}" font-size="11">{label}</text>')
        out.append(f'<line x1="{left}" y1="{y0 + strip_height}" x2="{width - right}" y2="{y0 + strip_height}" stroke="#ccc"/>')
        for index, point in enumerate(timeline):
            if point[key] > 0:
                bar = strip_height * point[key] / strip_peak
                out.append(f'<rect x="{x(index) + 1:.1f}" y="{y0 + strip_height - bar:.1f}" width="{max(1, x(index + 1) - x(index) - 2):.1f}" height="{bar:.1f}" fill="{color}"/>')
        out.append(f'<text x="{width - right + 4}" y="{y0 + 10}" fill="#777" font-size="10">{strip_peak}</text>')
    for index, point in enumerate(timeline):
        if point.get("restart"):
            out.append(f'<line x1="{x(index):.1f}" y1="{top}" x2="{x(index):.1f}" y2="{bottom}" stroke="#111" stroke-dasharray="6,4"/>')
            out.append(f'<text x="{x(index) + 4:.1f}" y="{top + 12}" fill="#111">server restart</text>')
    legend_x = left
    for key, label, color in LINES:
        out.append(f'<rect x="{legend_x}" y="{height - 22}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{legend_x + 16}" y="{height - 12}">{html.escape(label)}</text>')
        legend_x += 190
    out.append(f'<rect x="{legend_x}" y="{height - 22}" width="12" height="12" fill="#fed7d7"/>')
    out.append(f'<text x="{legend_x + 16}" y="{height - 12}">outage</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as handle:
        result = json.load(handle)
    if result.get("scenario") != "soak" or "timeline" not in result:
        sys.exit(f"{sys.argv[1]} is not the JSON of `courier bench soak --json`")
    output = sys.argv[2] if len(sys.argv) == 3 else DEFAULT_OUTPUT
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as handle:
        handle.write(svg(result))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
