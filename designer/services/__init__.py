"""All writes to designs go through these functions: views, admin, commands and the API call them.

Each validates its input and raises ``django.core.exceptions.ValidationError`` keyed by the form field
with a specific message, or ``PermissionDenied`` when the actor's role does not allow the change.
"""
