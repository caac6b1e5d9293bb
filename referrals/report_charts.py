"""Charts drawn on the server as SVG, for the report's PDF (which then needs no browser) and the trust lead's trend
lines. No script and no style attribute, so the Content Security Policy holds; every chart names what it shows.

On the report page the same figures are drawn by the vendored chart library, and each chart has its table.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#1d5fa8", "#9aa5b1", "#b35c00", "#2e7d32")
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 28, 46


def _ceiling(highest: int) -> int:
    """A round top for the axis, at least 5 and divisible by 5, so that its five steps are whole numbers."""
    step = 1
    while step * 10 < highest:
        step *= 10
    top = step
    while top < highest:
        top += step
    top = max(top, 5)
    return top if top % 5 == 0 else top + 5 - top % 5


def bar_chart_svg(*, title: str, labels: list[str], series: list[tuple[str, list[int | None]]]) -> SafeString:
    """Grouped bars, one group per label and one bar per series; a hidden count (None) is marked "<5" at the foot
    of its place instead of a bar."""
    values = [v for _, data in series for v in data if v is not None]
    top = _ceiling(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [_axis(top, plot_w, plot_h)]
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.1
        for s, (_name, data) in enumerate(series):
            value, x = data[i], x0 + s * bar_w
            if value is None:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="#333">&lt;5</text>',
                        _n(x + bar_w / 2),
                        _n(TOP + plot_h - 3),
                    )
                )
                continue
            height = plot_h * value / top
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                    _n(x),
                    _n(TOP + plot_h - height),
                    _n(max(bar_w - 1, 1)),
                    _n(height),
                    COLOURS[s % len(COLOURS)],
                    label,
                    value,
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#222">{}</text>',
                _n(LEFT + i * group_w + group_w / 2),
                _n(HEIGHT - BOTTOM + 14),
                _short(label, group_w),
            )
        )
    parts.append(_legend(series))
    return format_html(
        '<svg class="report-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}">{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title,
        mark_safe("".join(parts)),  # noqa: S308 - every part was built by format_html
    )


def _axis(top: int, plot_w: float, plot_h: float) -> SafeString:
    ticks = [top * k // 5 for k in range(6)]

    def _y(tick):
        return TOP + plot_h - plot_h * tick / top

    lines = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#222">{}</text>',
        ((LEFT, _n(_y(t)), _n(LEFT + plot_w), _n(_y(t)), LEFT - 4, _n(_y(t) + 3), t) for t in ticks),
    )
    return format_html(
        '{}<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#555"/>', lines, LEFT, TOP, LEFT, _n(TOP + plot_h)
    )


def _legend(series) -> SafeString:
    if len(series) < 2:
        return mark_safe("")
    return format_html_join(
        "",
        '<rect x="{}" y="6" width="10" height="10" fill="{}"/><text x="{}" y="15" font-size="11" fill="#222">{}</text>',
        ((LEFT + 170 * s, COLOURS[s % len(COLOURS)], LEFT + 170 * s + 14, name) for s, (name, _) in enumerate(series)),
    )


def _n(value: float) -> str:
    return f"{value:.1f}"


def _short(label: str, room: float) -> str:
    most = max(int(room / 6), 3)
    return label if len(label) <= most else label[: most - 1] + "\u2026"


def hbar_chart_svg(*, title: str, labels: list[str], series: list[tuple[str, list[int | None]]]) -> SafeString:
    """Bars across the page, one row per label (long names read in full), one bar per series; a hidden count
    (None) is marked "<5" at the start of its row instead of a bar."""
    label_w, row_h, bar_h = 230, 12 + 10 * len(series), 9
    values = [v for _, data in series for v in data if v is not None]
    top = _ceiling(max(values, default=0))
    plot_w = WIDTH - label_w - RIGHT
    height = TOP + row_h * len(labels) + 24
    parts = []
    for t in (top * k // 5 for k in range(6)):
        x = label_w + plot_w * t / top
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#222">{}</text>',
                _n(x),
                TOP - 4,
                _n(x),
                height - 20,
                _n(x),
                height - 8,
                t,
            )
        )
    for i, label in enumerate(labels):
        y0 = TOP + i * row_h
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#222">{}</text>',
                label_w - 6,
                _n(y0 + row_h / 2 + 3),
                label if len(label) <= 44 else label[:43] + "\u2026",
            )
        )
        for s, (_name, data) in enumerate(series):
            value, y = data[i], y0 + 5 + s * 10
            if value is None:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="9" fill="#333">&lt;5</text>', label_w + 3, _n(y + bar_h - 1)
                    )
                )
                continue
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                    label_w,
                    _n(y),
                    _n(plot_w * value / top),
                    bar_h,
                    COLOURS[s % len(COLOURS)],
                    label,
                    value,
                )
            )
    parts.append(_legend(series))
    return format_html(
        '<svg class="report-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}">{}</svg>',
        WIDTH,
        height,
        WIDTH,
        height,
        title,
        mark_safe("".join(parts)),  # noqa: S308 - every part was built by format_html
    )


def sparkline_svg(values: list[int], *, label: str) -> SafeString:
    """A small trend line of `values` (oldest first), named by `label` for a screen reader."""
    width, height = 120, 28
    top = max(max(values, default=0), 1)
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in enumerate(values))
    return format_html(
        '<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}"><polyline points="{}" fill="none" stroke="#1d5fa8" stroke-width="2"/></svg>',
        width,
        height,
        width,
        height,
        label,
        points,
    )
