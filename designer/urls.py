from django.urls import path

from designer.views import deploy, designer, organise, panel, projects, versions

app_name = "designer"

P = "projects/<slug:slug>/"
T = P + "tables/<uuid:table_id>/"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path(P, designer.designer_page, name="project-detail"),
    path(P + "settings/", projects.project_settings, name="project-settings"),
    path(P + "settings/update", projects.project_update, name="project-update"),
    path(P + "settings/archive", projects.project_archive, name="project-archive"),
    path(P + "settings/members", projects.member_set, name="member-set"),
    path(P + "settings/members/remove", projects.member_remove, name="member-remove"),
    path(P + "diagram.svg", designer.diagram_svg, name="diagram"),
    path(P + "export/<str:key>", designer.export, name="export"),
    path(P + "arrange", designer.arrange, name="arrange"),
    path(P + "tables/", designer.table_list, name="tables"),
    path(T, panel.table_panel, name="table"),
    path(T + "status", panel.table_status, name="table-status"),
    path(T + "delete", panel.table_delete, name="table-delete"),
    path(T + "move", panel.table_move, name="table-move"),
    path(T + "fields/", panel.field_create, name="field-create"),
    path(T + "fields/<uuid:field_id>/", panel.field_edit, name="field-edit"),
    path(T + "fields/<uuid:field_id>/delete", panel.field_delete, name="field-delete"),
    path(T + "fields/<uuid:field_id>/move", panel.field_move, name="field-move"),
    path(T + "relationships/", panel.relationship_create, name="relationship-create"),
    path(T + "relationships/<uuid:rel_id>/", panel.relationship_edit, name="relationship-edit"),
    path(T + "relationships/<uuid:rel_id>/delete", panel.relationship_delete, name="relationship-delete"),
    path(T + "indexes/", panel.index_create, name="index-create"),
    path(T + "indexes/<uuid:index_id>/delete", panel.index_delete, name="index-delete"),
    path(T + "constraints/", panel.constraint_create, name="constraint-create"),
    path(T + "constraints/<uuid:constraint_id>/delete", panel.constraint_delete, name="constraint-delete"),
    path(T + "primary-key", panel.primary_key, name="primary-key"),
    path(P + "organise/", organise.organise_panel, name="organise"),
    path(P + "groups/", organise.group_create, name="group-create"),
    path(P + "groups/<uuid:group_id>/", organise.group_edit, name="group-edit"),
    path(P + "groups/<uuid:group_id>/delete", organise.group_delete, name="group-delete"),
    path(P + "groups/<uuid:group_id>/move", organise.group_move, name="group-move"),
    path(P + "notes/", organise.note_create, name="note-create"),
    path(P + "notes/<uuid:note_id>/", organise.note_edit, name="note-edit"),
    path(P + "notes/<uuid:note_id>/delete", organise.note_delete, name="note-delete"),
    path(P + "notes/<uuid:note_id>/move", organise.note_move, name="note-move"),
        path(P + "versions/", versions.version_list, name="version-list"),
    path(P + "versions/compare/", versions.version_compare, name="version-compare"),
    path(P + "versions/<int:number>/restore/", versions.version_restore, name="version-restore"),
    path(P + "deploy/", deploy.deploy_page, name="deploy"),
    path(P + "deploy/run/", deploy.deploy_run, name="deploy-run"),
    path(P + "deploy/progress/", deploy.progress, name="deploy-progress"),
    path(P + "deploy/runs/<int:number>/", deploy.run_detail, name="deploy-run-detail"),
    path(P + "deploy/rollback/", deploy.rollback, name="deploy-rollback"),
    path(P + "deploy/drift/", deploy.drift, name="deploy-drift"),
    path(P + "deploy/purge/", deploy.purge, name="deploy-purge"),
]
