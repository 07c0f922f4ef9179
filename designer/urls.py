from django.urls import path

from designer.views import projects

app_name = "designer"

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("projects/<slug:slug>/", projects.project_detail, name="project-detail"),
]
