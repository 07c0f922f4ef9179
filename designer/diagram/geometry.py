"""Sizes of table boxes and the shape of connectors between two exact columns.

The same numbers are used by ``static/designer/diagram.js`` (it redraws connectors while a box is dragged),
so keep ``HEADER``, ``ROW`` and the connector formula in step with ``connectorPath`` there. While dragging,
the page draws the plain curve; the server's drawing (``Router``) takes connectors that span columns
around the boxes in between. ``connectors_crossing_boxes`` measures how well that works on a layout.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

HEADER = 34  # title bar height
ROW = 20  # one column row
PAD = 6  # space under the last row
MIN_WIDTH, MAX_WIDTH = 200, 420
CHAR = 7.0  # average glyph width at 12px, good enough to size boxes without a font engine
MARKER_X, NAME_X = 8, 34  # key markers start at MARKER_X; names at NAME_X, or further right for wide markers
MARKER_CHAR = 6.0  # glyph width of the 9px bold key markers
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


def _name_x(widest_markers: int) -> int:
    return max(NAME_X, int(MARKER_X + widest_markers * MARKER_CHAR + 8))


def name_x(rows: list[Row]) -> int:
    """Where the column names of a box start: after the widest run of key markers ("PK FK UQ"), so a
    marker never overlaps a name; every name of the box starts at the same x."""
    return _name_x(max((len(" ".join(row.markers)) for row in rows), default=0))


def box_size(title: str, rows: list[Row]) -> tuple[int, int]:
    """Width from the longest line (title, or markers + name + type), height from the row count."""
    return size_of(
        title, len(rows), [(len(" ".join(row.markers)), len(row.field_name) + len(row.type_label)) for row in rows]
    )


def size_of(title: str, row_count: int, lines: list[tuple[int, int]]) -> tuple[int, int]:
    """``box_size`` from a summary of the rows: (length of the key markers, length of name + type) per line
    that may be the widest (not necessarily every row), and the number of rows."""
    start = _name_x(max((markers for markers, _ in lines), default=0))
    need = 28 + (len(title) + 12) * CHAR
    for _, text in lines:
        need = max(need, start + (text + 1) * CHAR + 36)
    width = int(min(MAX_WIDTH, max(MIN_WIDTH, need)))
    width += (-width) % 10
    return width, HEADER + ROW * row_count + PAD


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


Segment = tuple[tuple[float, float], ...]  # 2 points: a straight line; 4 points: a cubic Bézier
CHANNEL_MARGIN = 12  # how far into the gap between two columns a routed connector starts to turn
LANE = 10  # least distance between a routed connector and a box above or below it


def _extend(out: list[Segment], p: tuple[float, float], q: tuple[float, float]) -> None:
    """Append the piece p -> q: a line when level (merged into a level line before it), else a curve."""
    if p[1] != q[1]:
        out.append(_cubic(p, q))
    elif out and len(out[-1]) == 2 and out[-1][0][1] == p[1] and out[-1][1] == p:
        out[-1] = (out[-1][0], q)
    else:
        out.append((p, q))


def _cubic(p: tuple[float, float], q: tuple[float, float]) -> Segment:
    """A curve from p to q that leaves and arrives horizontally, staying between p's and q's x."""
    mid = (p[0] + q[0]) / 2
    return (p, (mid, p[1]), (mid, q[1]), q)


class Router:
    """Connector paths that go around boxes.

    Boxes whose horizontal extents overlap form a *column* (after an automatic layout: one layer, or one
    wrapped part of it); between two columns runs a gap that no box reaches into. A connector between boxes
    of neighbouring columns is the plain curve of ``connector``. One that spans columns in between crosses
    each of them horizontally through a free gap between two boxes (the one nearest the straight line), and
    turns only inside the gaps between columns, so it passes through no box. Built once per drawing, in
    O(n log n); each connector then costs O(columns spanned × log n).
    """

    def __init__(self, boxes: list[Box]) -> None:
        columns: list[list] = []  # [x0, x1, [(y0, y1), ...]]
        for b in sorted(boxes, key=lambda b: (b.x, b.x + b.width)):
            if columns and b.x < columns[-1][1]:
                columns[-1][1] = max(columns[-1][1], b.x + b.width)
                columns[-1][2].append((b.y, b.y + b.height))
            else:
                columns.append([b.x, b.x + b.width, [(b.y, b.y + b.height)]])
        self.starts = [c[0] for c in columns]
        self.ends = [c[1] for c in columns]
        self.gaps: list[list[tuple[float, float]]] = []  # free vertical intervals per column, top to bottom
        for _, _, spans in columns:
            free, reach = [], -math.inf
            for y0, y1 in sorted(spans):
                if y0 - reach >= 2 * LANE:
                    free.append((reach, y0))
                reach = max(reach, y1)
            free.append((reach, math.inf))
            self.gaps.append(free)
        self.gap_tops = [[g[0] for g in free] for free in self.gaps]

    def _column(self, box: Box) -> int:
        return bisect.bisect_right(self.starts, box.x) - 1

    def _margin(self, k: int, side: int) -> float:
        """How far past column k's edge (side -1: left, 1: right) a connector may run before turning."""
        if side < 0:
            room = self.starts[k] - self.ends[k - 1] if k > 0 else math.inf
        else:
            room = self.starts[k + 1] - self.ends[k] if k + 1 < len(self.starts) else math.inf
        return min(CHANNEL_MARGIN, room / 4)

    def _lane(self, k: int, ideal: float) -> float:
        """The y nearest ``ideal`` at which a line crosses column k without touching a box."""
        free, tops = self.gaps[k], self.gap_tops[k]
        i = bisect.bisect_right(tops, ideal) - 1
        best, best_cost = ideal, math.inf
        for j in (i - 1, i, i + 1):
            if 0 <= j < len(free):
                lo, hi = free[j]
                y = min(max(ideal, lo + LANE), hi - LANE)
                if abs(y - ideal) < best_cost:
                    best, best_cost = y, abs(y - ideal)
        return best

    def _free(self, k: int, y: float) -> bool:
        free = self.gaps[k]
        i = bisect.bisect_right(self.gap_tops[k], y) - 1
        return i >= 0 and free[i][0] + LANE <= y <= free[i][1] - LANE

    def segments(self, source: Box, source_row: int, target: Box, target_row: int) -> list[Segment]:
        """The connector from the source column to the target column, as line and curve segments."""
        d, *_ = connector(source, source_row, target, target_row)
        plain = [_parse(d)]
        if target.x >= source.x + source.width:
            left, lrow, right, rrow, flip = source, source_row, target, target_row, False
        elif source.x >= target.x + target.width:
            left, lrow, right, rrow, flip = target, target_row, source, source_row, True
        else:
            return plain
        ci, cj = self._column(left), self._column(right)
        if cj - ci <= 1 or ci < 0:
            return plain
        yl, yr = row_y(left, lrow), row_y(right, rrow)
        point = (left.x + left.width, yl)
        out: list[Segment] = []
        turn = (self.ends[ci] + self._margin(ci, 1), yl)
        if turn[0] > point[0]:
            out.append((point, turn))
        point = turn
        for k in range(ci + 1, cj):
            # Straight on at the target's height or the current one where the column lets it through
            # (fewer bends, shorter paths), else through the gap nearest the straight line.
            y = next(
                (want for want in (yr, point[1]) if self._free(k, want)),
                None,
            )
            if y is None:
                y = self._lane(k, yl + (yr - yl) * (k - ci) / (cj - ci))
            enter, leave = (self.starts[k] - self._margin(k, -1), y), (self.ends[k] + self._margin(k, 1), y)
            _extend(out, point, enter)
            _extend(out, enter, leave)
            point = leave
        arrive = (self.starts[cj] - self._margin(cj, -1), yr)
        _extend(out, point, arrive)
        if right.x > arrive[0]:
            _extend(out, arrive, (right.x, yr))
        if flip:
            out = [tuple(reversed(s)) for s in reversed(out)]
        return out

    def path(self, source: Box, source_row: int, target: Box, target_row: int) -> str:
        """SVG path data for ``segments``."""
        return path_data(self.segments(source, source_row, target, target_row))


def _parse(d: str) -> Segment:
    numbers = [float(n) for n in d.replace("M", " ").replace("C", " ").replace(",", " ").split()]
    return tuple(zip(numbers[0::2], numbers[1::2], strict=True))


def path_data(segments: list[Segment]) -> str:
    parts = [f"M{segments[0][0][0]:g},{segments[0][0][1]:g}"]
    for s in segments:
        if len(s) == 2:
            parts.append(f"L{s[1][0]:g},{s[1][1]:g}")
        else:
            parts.append("C" + " ".join(f"{x:g},{y:g}" for x, y in s[1:]))
    return " ".join(parts)


def _sample(segments: list[Segment], steps: int = 24) -> list[tuple[float, float]]:
    points = [segments[0][0]]
    for s in segments:
        if len(s) == 2:
            points.append(s[1])
            continue
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = s
        for i in range(1, steps + 1):
            t = i / steps
            u = 1 - t
            a, b, c, e = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
            points.append((a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3))
    return points


def _segment_hits_rect(p: tuple[float, float], q: tuple[float, float], rect: tuple[float, float, float, float]) -> bool:
    """Liang-Barsky clipping: does the segment p->q pass through the inside of rect (x0, y0, x1, y1)?"""
    x0, y0, x1, y1 = rect
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for edge_p, edge_q in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def connectors_crossing_boxes(boxes: list[Box], edges: list[Edge]) -> list[Edge]:
    """The connectors whose drawn path (as ``svg.render_svg`` draws it) runs through a box other than its own
    two: the layout's quality measure, near zero for a readable diagram. A box's 2 px rim does not count."""
    by_id = {b.id: b for b in boxes}
    router = Router(boxes)
    rects = [(b.id, (b.x + 2, b.y + 2, b.x + b.width - 2, b.y + b.height - 2)) for b in boxes]
    crossing = []
    for edge in edges:
        source, target = by_id.get(edge.source), by_id.get(edge.target)
        if source is None or target is None:
            continue
        segments = router.segments(
            source, source.row_index(edge.source_field), target, target.row_index(edge.target_field)
        )
        points = _sample(segments)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
        for box_id, rect in rects:
            if box_id in (edge.source, edge.target):
                continue
            if rect[0] > hi_x or rect[2] < lo_x or rect[1] > hi_y or rect[3] < lo_y:
                continue
            if any(_segment_hits_rect(p, q, rect) for p, q in zip(points, points[1:], strict=False)):
                crossing.append(edge)
                break
    return crossing
