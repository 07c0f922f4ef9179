from django.urls import path

from designer.views import deploy, projects, versions

app_name = "designer"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project-detail"),
    path("projects/<slug:slug>/versions/", versions.version_list, name="version-list"),
    path("projects/<slug:slug>/versions/compare/", versions.version_compare, name="version-compare"),
    path("projects/<slug:slug>/versions/<int:number>/restore/", versions.version_restore, name="version-restore"),
    path("projects/<slug:slug>/deploy/", deploy.deploy_page, name="deploy"),
    path("projects/<slug:slug>/deploy/run/", deploy.deploy_run, name="deploy-run"),
    path("projects/<slug:slug>/deploy/progress/", deploy.progress, name="deploy-progress"),
    path("projects/<slug:slug>/deploy/runs/<int:number>/", deploy.run_detail, name="deploy-run-detail"),
    path("projects/<slug:slug>/deploy/rollback/", deploy.rollback, name="deploy-rollback"),
    path("projects/<slug:slug>/deploy/drift/", deploy.drift, name="deploy-drift"),
    path("projects/<slug:slug>/deploy/purge/", deploy.purge, name="deploy-purge"),
]
