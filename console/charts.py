"""Charts drawn on the server as small SVG: no script, no library, readable on a phone."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 320
ROW = 22
LABEL = 130
#: Longer labels are cut, with an ellipsis; the full one is in the SVG's <title> of the row.
LABEL_CHARS = 19


def bars(items: list[tuple[str, float]], title: str, unit: str = "") -> Markup:
    """Draw a horizontal bar chart of (label, value) pairs with its title for screen readers."""
    top = max((v for _, v in items), default=0) or 1
    height = ROW * max(len(items), 1) + 4
    rows = []
    for i, (name, value) in enumerate(items):
        y = i * ROW + 2
        width = round((WIDTH - LABEL - 40) * value / top)
        shown = f"{value:g}{unit}"
        cut = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
        rows.append(
            f'<text x="0" y="{y + 15}" class="l"><title>{escape(name)}</title>{escape(cut)}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{max(width, 1)}" height="{ROW - 8}"/>'
            f'<text x="{LABEL + width + 4}" y="{y + 15}" class="v">{escape(shown)}</text>'
        )
    if not items:
        rows.append('<text x="0" y="16" class="l">–</text>')
    # Every text put in is escaped above; the rest is fixed markup.
    return Markup(  # noqa: S704
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" class="chart"><title>{escape(title)}</title>{"".join(rows)}</svg>'
    )
