from django.urls import path

from designer.views import collab, locks, projects

app_name = "designer"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project-detail"),
    path("projects/<slug:slug>/tables/<uuid:table_id>/card/", collab.table_card, name="table-card"),
    path("projects/<slug:slug>/tables/<uuid:table_id>/lock-panel/", collab.table_panel, name="table-panel"),
    path("projects/<slug:slug>/tables/<uuid:table_id>/lock/", locks.acquire, name="lock-acquire"),
    path("projects/<slug:slug>/tables/<uuid:table_id>/lock/renew/", locks.renew, name="lock-renew"),
    path("projects/<slug:slug>/tables/<uuid:table_id>/lock/release/", locks.release, name="lock-release"),
    path("projects/<slug:slug>/tables/<uuid:table_id>/lock/force/", locks.force, name="lock-force"),
]
