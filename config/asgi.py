"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from config.runtime import tune_gc  # noqa: E402
from designer.realtime.routing import websocket_urlpatterns  # noqa: E402
from designer.realtime.sweeper import SweepInProcess  # noqa: E402

# The lock-expiry sweep starts with the process's first request, HTTP or websocket (LOCK_SWEEP_IN_ASGI).
application = SweepInProcess(
    ProtocolTypeRouter(
        {
            # Static files are served by the app itself (vendored, small); set SERVE_STATIC=0 behind a proxy.
            "http": ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
tune_gc()
