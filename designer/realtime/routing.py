"""Websocket routes: one socket per open project page."""

from django.urls import re_path

from .consumers import ProjectConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/projects/(?P<project_id>[0-9a-fA-F-]{32,36})/$", ProjectConsumer.as_asgi()),
]
