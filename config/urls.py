from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from designer.api.app import api_urls
from designer.api.middleware import not_found as api_not_found
from designer.views.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("v1/", api_urls()),
    re_path(r"^v1/", api_not_found),
    path("", include("designer.urls")),
]
