"""Done when: Chinook designed by hand through the designer's forms shows 11 tables and 11 foreign keys,
with no overlapping boxes after Auto-arrange."""

from __future__ import annotations

import itertools

import pytest

from designer.diagram.geometry import overlaps
from designer.models import DataField, DataTable, Project
from designer.services.diagram import load_diagram

from .conftest import HX, url

pytestmark = pytest.mark.django_db

V = "varchar"
TABLES = {
    "artist": [("artist_id", "integer", {}), ("name", V, {"max_length": "120"})],
    "genre": [("genre_id", "integer", {}), ("name", V, {"max_length": "120"})],
    "media_type": [("media_type_id", "integer", {}), ("name", V, {"max_length": "120"})],
    "playlist": [("playlist_id", "integer", {}), ("name", V, {"max_length": "120"})],
    "employee": [("employee_id", "integer", {}), ("last_name", V, {"max_length": "20", "is_required": "on"})],
    "customer": [("customer_id", "integer", {}), ("email", V, {"max_length": "60", "is_required": "on"})],
    "album": [("album_id", "integer", {}), ("title", V, {"max_length": "160", "is_required": "on"})],
    "track": [("track_id", "integer", {}), ("name", V, {"max_length": "200", "is_required": "on"})],
    "invoice": [("invoice_id", "integer", {}), ("total", "decimal", {"precision": "10", "scale": "2"})],
    "invoice_line": [("invoice_line_id", "integer", {}), ("quantity", "integer", {"is_required": "on"})],
    "playlist_track": [],
}
FOREIGN_KEYS = [  # (table, column, referenced table, required)
    ("album", "artist_id", "artist", True),
    ("customer", "support_rep_id", "employee", False),
    ("employee", "reports_to", "employee", False),
    ("invoice", "customer_id", "customer", True),
    ("invoice_line", "invoice_id", "invoice", True),
    ("invoice_line", "track_id", "track", True),
    ("playlist_track", "playlist_id", "playlist", True),
    ("playlist_track", "track_id", "track", True),
    ("track", "album_id", "album", False),
    ("track", "genre_id", "genre", False),
    ("track", "media_type_id", "media_type", True),
]


def test_chinook_designed_by_hand_shows_11_tables_and_11_foreign_keys_without_overlaps(owner_client):
    client = owner_client
    assert client.post("/", {"name": "Chinook"}, **HX).status_code == 204
    project = Project.objects.get(slug="chinook")
    for name, columns in TABLES.items():
        assert client.post(url(project, "tables/"), {"table_name": name}, **HX).status_code == 200
        table = DataTable.objects.get(project=project, table_name=name)
        for n, (column, type_, options) in enumerate(columns):
            data = {"field_name": column, "data_type": type_, **options}
            if n == 0:
                data["primary_key"] = "on"
            response = client.post(url(project, "tables", table.pk, "fields/"), data, **HX)
            assert response.status_code == 200, response.content.decode()
    for table_name, column, referenced, required in FOREIGN_KEYS:
        table = DataTable.objects.get(project=project, table_name=table_name)
        key = DataField.objects.get(table__project=project, table__table_name=referenced, pk_position=1)
        data = {"source_field": key.pk, "field_name": column, "relationship_type": "one_to_many"}
        if required:
            data["is_required"] = "on"
        response = client.post(url(project, "tables", table.pk, "relationships/"), data, **HX)
        assert response.status_code == 200, response.content.decode()
    playlist_track = DataTable.objects.get(project=project, table_name="playlist_track")
    both = [str(f.pk) for f in playlist_track.fields.order_by("sort_order")]
    assert (
        client.post(url(project, "tables", playlist_track.pk, "primary-key"), {"fields": both}, **HX).status_code == 200
    )

    assert client.post(url(project, "arrange"), {}, **HX).status_code == 200
    html = client.get(url(project)).content.decode()
    assert html.count('class="tbl ') == 11
    assert html.count('class="edge ') == 11
    for table_name, column, referenced, _ in FOREIGN_KEYS:
        assert f'data-relationship="{referenced}.{referenced}_id-&gt;{table_name}.{column}"' in html
    boxes = load_diagram(project).boxes
    rects = [(b.x, b.y, b.width, b.height) for b in boxes]
    assert not any(overlaps(a, b) for a, b in itertools.combinations(rects, 2))
