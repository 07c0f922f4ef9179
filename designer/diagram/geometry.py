"""Sizes of table boxes and the shape of connectors between two exact columns.

The same numbers are used by ``static/designer/diagram.js`` (it redraws connectors while a box is dragged),
so keep ``HEADER``, ``ROW`` and the connector formula in step with ``connectorPath`` there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEADER = 34  # title bar height
ROW = 20  # one column row
PAD = 6  # space under the last row
MIN_WIDTH, MAX_WIDTH = 200, 420
CHAR = 7.0  # average glyph width at 12px, good enough to size boxes without a font engine
GROUP_PAD = 24
GROUP_LABEL = 26


@dataclass
class Row:
    field_name: str
    type_label: str
    markers: tuple[str, ...] = ()  # "PK", "FK", "UQ"
    required: bool = False


@dataclass
class Box:
    id: str
    table_name: str
    status: str
    x: int
    y: int
    rows: list[Row] = field(default_factory=list)
    description: str = ""
    width: int = MIN_WIDTH
    height: int = HEADER + PAD

    def __post_init__(self) -> None:
        self.width, self.height = box_size(self.table_name, self.rows)

    def row_index(self, field_name: str) -> int:
        for i, row in enumerate(self.rows):
            if row.field_name == field_name:
                return i
        return 0


@dataclass
class Edge:
    id: str
    name: str
    type: str  # one_to_one | one_to_many | many_to_many
    source: str  # box id of the referenced ("one") side
    source_field: str
    target: str  # box id of the side holding the foreign key
    target_field: str
    required: bool = False
    on_delete: str = "no_action"
    on_update: str = "no_action"


def box_size(title: str, rows: list[Row]) -> tuple[int, int]:
    """Width from the longest line (title, or name + type + markers), height from the row count."""
    longest = len(title) + 12
    for row in rows:
        longest = max(longest, len(row.field_name) + len(row.type_label) + 3 * len(row.markers) + 5)
    width = int(min(MAX_WIDTH, max(MIN_WIDTH, 28 + longest * CHAR)))
    width += (-width) % 10
    return width, HEADER + ROW * len(rows) + PAD


def row_y(box: Box, index: int) -> float:
    """The vertical middle of a row, in canvas coordinates."""
    return box.y + HEADER + index * ROW + ROW / 2


def connector(source: Box, source_row: int, target: Box, target_row: int) -> tuple[str, float, float, float, float]:
    """SVG path data from the source column to the target column, and its end points.

    Leaves and enters boxes horizontally (so the crow's-foot markers sit flat on the box edge): from the
    facing sides when the boxes are apart, from both right sides when they overlap horizontally.
    """
    y1, y2 = row_y(source, source_row), row_y(target, target_row)
    if target.x >= source.x + source.width:
        x1, d1, x2, d2 = source.x + source.width, 1, target.x, -1
    elif source.x >= target.x + target.width:
        x1, d1, x2, d2 = source.x, -1, target.x + target.width, 1
    else:
        x1, d1, x2, d2 = source.x + source.width, 1, target.x + target.width, 1
    reach = max(40.0, abs(x2 - x1) / 2) if d1 != d2 else 60.0 + abs(x2 - x1) / 2
    path = f"M{x1:g},{y1:g} C{x1 + d1 * reach:g},{y1:g} {x2 + d2 * reach:g},{y2:g} {x2:g},{y2:g}"
    return path, x1, y1, x2, y2


def bounds(boxes: list[Box]) -> tuple[int, int, int, int]:
    """(min x, min y, max x, max y) around the boxes; a small default area when there are none."""
    if not boxes:
        return 0, 0, 800, 600
    return (
        min(b.x for b in boxes),
        min(b.y for b in boxes),
        max(b.x + b.width for b in boxes),
        max(b.y + b.height for b in boxes),
    )


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], margin: int = 0) -> bool:
    """Whether two (x, y, width, height) rectangles overlap, with ``margin`` of air required between them."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + margin and bx < ax + aw + margin and ay < by + bh + margin and by < ay + ah + margin
