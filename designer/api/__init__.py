"""The public JSON API under ``/v1/``: keys, error codes, rate limits and the OpenAPI document.

Handlers parse, call the same services as the pages, and answer in one error shape (``{detail, error_code}``).
Later APIs (environments, seeders, monitoring, review) add their routers here and reuse ``errors``, ``auth``
and ``ratelimit``.
"""
