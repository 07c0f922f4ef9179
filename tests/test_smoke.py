def test_demo_project_builds_through_services(db, settings):
    from designer.demo import load_demo
    from designer.models import DataTable, TableRelationship

    settings.DEBUG = True
    project, created = load_demo()
    assert created
    assert set(DataTable.objects.filter(project=project).values_list("table_name", flat=True)) == {
        "users",
        "workspaces",
        "datasets",
        "analyses",
        "column_profiles",
        "insights",
    }
    assert TableRelationship.objects.filter(project=project).count() == 6
