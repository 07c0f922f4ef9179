from django.urls import path

from designer.views import exports, imports, projects

app_name = "designer"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project-detail"),
    path("import/", imports.import_page, name="import"),
    path("import/preview/", imports.preview, name="import-preview"),
    path("import/confirm/", imports.confirm, name="import-confirm"),
    path("projects/<slug:slug>/import/", imports.import_page, name="project-import"),
    path("projects/<slug:slug>/import/preview/", imports.preview, name="project-import-preview"),
    path("projects/<slug:slug>/import/confirm/", imports.confirm, name="project-import-confirm"),
    path("projects/<slug:slug>/export/<slug:key>/", exports.export_download, name="project-export"),
    path(
        "projects/<slug:slug>/versions/<int:number>/export/<slug:key>/",
        exports.export_download,
        name="version-export",
    ),
]
