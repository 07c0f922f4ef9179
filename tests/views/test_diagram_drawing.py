"""What the diagram draws: a many-to-many relationship once (through its junction table)."""

from __future__ import annotations

import re

import pytest

from designer.diagram.from_snapshot import diagram_from_snapshot
from designer.services import fields, relationships, tables
from designer.services.snapshots import project_snapshot

from .conftest import url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _owner_writes(locked, owner):
    with locked([], owner):
        yield


@pytest.fixture
def enrolment(project, owner):
    students = tables.create_table(project, actor=owner, table_name="students")
    sid = fields.create_field(students, actor=owner, field_name="id", data_type="integer", primary_key=True)
    courses = tables.create_table(project, actor=owner, table_name="courses")
    cid = fields.create_field(courses, actor=owner, field_name="id", data_type="integer", primary_key=True)
    relationships.create_relationship(
        project, actor=owner, source_field=sid, target_field=cid, relationship_type="many_to_many"
    )
    return project


def test_a_many_to_many_relationship_is_drawn_once_through_its_junction_table(owner_client, enrolment):
    svg = owner_client.get(url(enrolment, "diagram.svg")).content.decode()
    connectors = re.findall(r'class="edge e-(\w+)"[^>]*data-relationship="([^"]+)"', svg)
    assert sorted(key for _, key in connectors) == [
        "courses.id-&gt;students_courses.courses_id",
        "students.id-&gt;students_courses.students_id",
    ]
    assert {kind for kind, _ in connectors} == {"one_to_many"}, "no direct dashed line besides the junction's keys"
    page = owner_client.get(url(enrolment)).content.decode()
    assert page.count('data-relationship="') == 2


def test_an_exported_diagram_of_a_stored_design_draws_the_many_to_many_once(enrolment):
    diagram = diagram_from_snapshot(project_snapshot(enrolment))
    assert sorted(e.type for e in diagram.edges) == ["one_to_many", "one_to_many"]
