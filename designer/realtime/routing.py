"""Websocket routes. The collaboration issue fills this in (project rooms, locks, presence)."""

websocket_urlpatterns: list = []
