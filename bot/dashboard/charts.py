"""Charts as inline SVG (pygal, rendered on the server, no JavaScript).

pygal puts a <style> and a <script> inside every chart; the console's content security
policy allows neither inline, so both are taken out and console.css styles the chart.
The same numbers are always in a table beside the chart: the SVG is decoration.
"""

from __future__ import annotations

from xml.etree import ElementTree

import pygal

_SVG = "{http://www.w3.org/2000/svg}"
_DROPPED = frozenset({f"{_SVG}style", f"{_SVG}script", "style", "script"})


def bars(title: str, counts: list[tuple[str, int | None]]) -> str:
    """A bar chart of `counts` (None: no bar) as an SVG string without style or script."""
    chart = pygal.Bar(show_legend=False, width=640, height=280, js=[], print_values=True)
    chart.title = title
    chart.x_labels = [label for label, _ in counts]
    chart.add(title, [count for _, count in counts])
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in [c for c in parent if c.tag in _DROPPED]:
            parent.remove(child)
    ElementTree.register_namespace("", _SVG.strip("{}"))
    return ElementTree.tostring(tree, encoding="unicode")
