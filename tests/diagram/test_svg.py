"""The SVG diagram: boxes with data-table, connectors between exact columns, crow's-foot markers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from designer.diagram.geometry import CHAR, MARKER_CHAR, MARKER_X, Box, Edge, Row, name_x
from designer.diagram.svg import PAGE_CSS, Diagram, Group, Note, render_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _diagram(required=True, kind="one_to_many"):
    artist = Box("a", "artist", "active", 40, 40, [Row("artist_id", "integer", ("PK",), True), Row("name", "text")])
    album = Box(
        "b",
        "album",
        "deprecated",
        400,
        40,
        [
            Row("album_id", "integer", ("PK",), True),
            Row("title", "text"),
            Row("artist_id", "integer", ("FK",), required),
        ],
    )
    edge = Edge("r", "album_artist_id_fkey", kind, "a", "artist_id", "b", "artist_id", required=required)
    return Diagram(
        [artist, album],
        [edge],
        [Group("g", "Music", "#1e7d3a", ["a", "b"])],
        [Note("n", "<b>hi</b>", "#fff3a8", 0, 300)],
        "Chinook",
    )


def test_standalone_svg_is_valid_xml_with_boxes_and_connectors():
    text = render_svg(_diagram(), standalone=True)
    root = ET.fromstring(text.split("\n", 1)[1])
    tables = {g.get("data-table") for g in root.iterfind(".//s:g[@data-table]", NS)}
    assert tables == {"artist", "album"}
    (edge,) = root.iterfind(".//s:g[@data-relationship]", NS)
    assert edge.get("data-relationship") == "artist.artist_id->album.artist_id"
    assert "<b>" not in text and "&lt;b&gt;hi&lt;/b&gt;" in text, "user text is escaped"


def test_connector_runs_between_the_exact_columns():
    text = render_svg(_diagram())
    # artist.artist_id is row 0 of a box at y=40: middle at 40 + 34 + 10 = 84; album.artist_id is row 2: 124.
    assert 'd="M280,84 C' in text or "M" in text
    path = text.split('class="line" d="')[1].split('"')[0]
    start, end = path.split(" C")[0], path.rsplit(" ", 1)[1]
    assert start.endswith(",84") and end.endswith(",124")


def test_crows_foot_cardinality_shows_mandatory_and_optional():
    required = render_svg(_diagram(required=True))
    optional = render_svg(_diagram(required=False))
    one_to_one = render_svg(_diagram(kind="one_to_one"))
    assert 'marker-start="url(#m-one)" marker-end="url(#m-zero-many)"' in required
    assert 'marker-start="url(#m-zero-one)" marker-end="url(#m-zero-many)"' in optional
    assert 'marker-end="url(#m-zero-one)"' in one_to_one


def test_deprecated_tables_look_deprecated_and_relationship_name_shows_on_hover():
    text = render_svg(_diagram())
    assert 'class="tbl s-deprecated"' in text
    assert "<title>album_artist_id_fkey: album.artist_id → artist.artist_id" in text


def test_key_markers_never_overlap_the_column_names_and_the_box_is_wide_enough():
    rows = [
        Row("code", "varchar(12)", ("PK", "FK", "UQ"), True),
        Row("label", "text"),
        Row("owner_id", "integer", ("FK",)),
    ]
    box = Box("k", "currency", "active", 0, 0, rows)
    text = render_svg(Diagram([box], []))
    starts = [float(x) for x in re.findall(r'<tspan x="([\d.]+)">', text)]
    plain = [float(x) for x in re.findall(r'<text(?: class="q")? x="([\d.]+)" y="[\d.]+">label', text)]
    markers_end = MARKER_X + len("PK FK UQ") * MARKER_CHAR
    assert starts and min(starts) > markers_end, "names start after the widest markers"
    assert set(starts) == set(plain), "every name of the box starts at the same x"
    name_end = starts[0] + len("code") * CHAR
    type_start = box.width - 8 - len("varchar(12)") * CHAR
    assert name_end < type_start, "the box is wide enough for markers, name and type"
    assert box.width >= Box("k", "currency", "active", 0, 0, rows[1:]).width


def test_a_single_key_marker_keeps_names_where_they_were():
    box = Box("k", "t", "draft", 0, 0, [Row("id", "integer", ("PK",), True), Row("name", "text")])
    assert name_x(box.rows) == 34


def test_the_exported_svg_shows_statuses_like_the_page():
    css = render_svg(_diagram(), standalone=True).split("<style>")[1].split("</style>")[0]
    assert ".tbl.s-active .head{fill: #1e7d3a}" in css
    assert ".tbl.s-deprecated .name{text-decoration: line-through}" in css
    assert ".tbl.s-deprecated .box{stroke-dasharray: 5 3}" in css
    page = PAGE_CSS.read_text(encoding="utf-8")
    for selector in re.findall(r"^(\.tbl\.s-[^{]+)\{", page, re.M):
        assert selector.strip() + "{" in css, f"{selector} is on the page but not in the export"
