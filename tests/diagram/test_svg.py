"""The SVG diagram: boxes with data-table, connectors between exact columns, crow's-foot markers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from designer.diagram.geometry import Box, Edge, Row
from designer.diagram.svg import Diagram, Group, Note, render_svg

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
