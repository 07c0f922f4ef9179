"""Import pages: paste or upload DBML / SQL / snapshot JSON, or give a database URL and schema; see a
preview (tables, relationships, every object that cannot be imported); then import in one transaction.

The previewed result is kept in the session under a token, so what is imported is exactly what was
previewed (and a database URL is never echoed back into the page).
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_POST

from designer.importers import ImportResult, Unsupported, formats
from designer.models import Project
from designer.services.imports import apply_import, read_import, replacement_summary
from designer.services.permissions import can_edit

from .projects import get_project_for

SESSION_KEY = "designer.imports"
MAX_PENDING = 3
MAX_UPLOAD_BYTES = 5_000_000
SHOW_OPEN = 20  # the not-imported list starts open up to this many objects, folded above it


def _target(request: HttpRequest, slug: str | None) -> Project | None:
    if slug is None:
        return None
    project = get_project_for(request, slug)
    if not can_edit(project, request.user):
        raise PermissionDenied("Only owners and editors can import into this project.")
    return project


def _urls(project: Project | None) -> dict[str, str]:
    if project is None:
        return {"preview": reverse("designer:import-preview"), "confirm": reverse("designer:import-confirm")}
    return {
        "preview": reverse("designer:project-import-preview", args=[project.slug]),
        "confirm": reverse("designer:project-import-confirm", args=[project.slug]),
    }


def _context(request: HttpRequest, project: Project | None, **extra) -> dict:
    return {
        "project": project,
        "formats": formats().values(),
        "urls": _urls(project),
        "form": {"format": "sql", "schema": "public"},
        "errors": {},
        **extra,
    }


@require_GET
def import_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    project = _target(request, slug)
    return render(request, "designer/import.html", _context(request, project))


def _source(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError({"file": [f"The file is {upload.size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}."]})
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                {"file": ["The file is not UTF-8 text. Save it as UTF-8 and upload it again."]}
            ) from exc
    if request.POST.get("format") == "live":
        return request.POST.get("url", "")
    return request.POST.get("text", "")


@require_POST
def preview(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    project = _target(request, slug)
    fmt = request.POST.get("format", "")
    form = {
        "format": fmt,
        "schema": request.POST.get("schema", "public"),
        "text": request.POST.get("text", ""),
    }
    try:
        if fmt not in formats():
            raise ValidationError({"format": [f"Pick a format: {', '.join(formats())}."]})
        result = read_import(_source(request), fmt, schema=form["schema"])
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"source": exc.messages}
        if "source" in errors and fmt == "live":
            errors["url"] = errors.pop("source")
        if "source" in errors and request.FILES.get("file"):
            errors["file"] = errors.pop("source")
        return _form_errors(request, _context(request, project, form=form, errors=errors))
    token = _remember(request, result)
    context = _context(
        request,
        project,
        form=form,
        result=result,
        token=token,
        name=_name_of(result) or "Imported schema",
        replacing=replacement_summary(project, result) if project is not None else None,
    )
    template = "designer/import.html#import-preview" if request.htmx else "designer/import.html"
    return render(request, template, context)


@require_POST
def confirm(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    project = _target(request, slug)
    result = _recall(request, request.POST.get("token", ""))
    if result is None:
        expired = {"source": ["That preview has expired. Read the schema again."]}
        return _form_errors(request, _context(request, project, errors=expired))
    try:
        imported = apply_import(result, actor=request.user, project=project, name=request.POST.get("name") or None)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}
        name = request.POST.get("name", "")
        context = _context(
            request,
            project,
            result=result,
            token=request.POST["token"],
            name=name,
            errors=errors,
            replacing=replacement_summary(project, result) if project is not None else None,
        )
        template = "designer/import.html#import-preview" if request.htmx else "designer/import.html"
        return render(request, template, context, status=422)
    _forget(request, request.POST["token"])
    _tell(request, result, imported)
    url = imported.get_absolute_url()
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _tell(request: HttpRequest, result: ImportResult, project: Project) -> None:
    """What was imported, and — again, on the project page — what was not."""
    count = len(result.snapshot["tables"])
    messages.success(request, f"Imported {count} table{'s' if count != 1 else ''} into {project.name}.")
    if result.removed_groups:
        names = ", ".join(result.removed_groups)
        many = len(result.removed_groups) > 1
        messages.info(
            request,
            f"Removed the table group{'s' if many else ''} {names}: none of {'their' if many else 'its'} tables "
            "is in the import.",
        )
    if result.unsupported:
        # every object, however many: a collapsible list (open when short), escaped item by item
        items = format_html_join("", "<li>{}</li>", ((str(u),) for u in result.unsupported))
        messages.warning(
            request,
            format_html(
                '<details class="not-imported"{}><summary>Not imported ({})</summary><ul>{}</ul></details>',
                " open" if len(result.unsupported) <= SHOW_OPEN else "",
                len(result.unsupported),
                items,
            ),
        )


def _form_errors(request: HttpRequest, context: dict) -> HttpResponse:
    """422 with the source form re-rendered, messages beside the inputs, what was typed kept."""
    if not request.htmx:
        return render(request, "designer/import.html", context, status=422)
    response = render(request, "designer/import.html#import-form", context, status=422)
    response["HX-Retarget"] = "#import-form"
    response["HX-Reswap"] = "outerHTML"
    return response


def _name_of(result: ImportResult) -> str:
    return (result.snapshot.get("project") or {}).get("name", "")


def _remember(request: HttpRequest, result: ImportResult) -> str:
    pending = request.session.get(SESSION_KEY, {})
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = secrets.token_urlsafe(16)
    pending[token] = {
        "snapshot": result.snapshot,
        "unsupported": [[u.kind, u.name, u.detail] for u in result.unsupported],
        "notes": result.notes,
        "format": result.source_format,
        "groups": result.groups,
        "sticky_notes": result.sticky_notes,
    }
    request.session[SESSION_KEY] = pending
    return token


def _recall(request: HttpRequest, token: str) -> ImportResult | None:
    data = request.session.get(SESSION_KEY, {}).get(token)
    if data is None:
        return None
    return ImportResult(
        data["snapshot"],
        [Unsupported(*u) for u in data["unsupported"]],
        data["notes"],
        data["format"],
        groups=data.get("groups", []),
        sticky_notes=data.get("sticky_notes", []),
    )


def _forget(request: HttpRequest, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending
