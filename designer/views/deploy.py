"""Plan, deploy, runs, rollback, drift and purge pages. Every view needs staff or ``designer.deploy_project`` (403)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from designer.models import DeployRun
from designer.services import deploy as deploy_service

from .projects import get_project_for


def deployer_required(view):
    """403 for anyone without the deploy permission, before anything about the project is revealed."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not deploy_service.can_deploy(request.user):
            raise PermissionDenied("Deploying needs the permission “Can deploy a project's schema”.")
        return view(request, *args, **kwargs)

    return wrapper


def _context(request, project, **extra):
    runs = DeployRun.objects.filter(project=project).select_related("started_by", "to_version", "from_version")[:20]
    return {
        "project": project,
        "runs": runs,
        "deployed": deploy_service.deployed_version(project),
        "rollback_available": deploy_service.effective_runs(project).exists(),
        **extra,
    }


@deployer_required
def deploy_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        plan = deploy_service.plan(project)
        kept = deploy_service.kept_objects(project)
        problem = ""
    except deploy_service.DeployRefused as exc:
        plan, kept, problem = None, [], str(exc)
    except ValueError as exc:
        plan, kept, problem = None, [], f"The design cannot be compiled: {exc}"
    return render(request, "designer/deploy.html", _context(request, project, plan=plan, kept=kept, problem=problem))


@deployer_required
@require_POST
def deploy_run(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        run = deploy_service.deploy(
            project,
            actor=request.user,
            confirm_name=request.POST.get("confirm_name"),
            message=request.POST.get("message", ""),
            expected_digest=request.POST.get("plan_digest"),
        )
    except ValidationError as exc:
        try:
            plan, problem = deploy_service.plan(project), ""
        except (deploy_service.DeployRefused, ValueError) as again:
            plan, problem = None, str(again)
        context = _context(request, project, plan=plan, kept=[], errors=exc.message_dict, problem=problem)
        template = "designer/deploy.html#deploy-form" if request.htmx else "designer/deploy.html"
        return render(request, template, context, status=422)
    except (deploy_service.DeployRefused, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("designer:deploy", slug=project.slug)
    return redirect("designer:deploy-run-detail", slug=project.slug, number=run.number)


@deployer_required
def run_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project = get_project_for(request, slug)
    run = DeployRun.objects.filter(project=project, number=number).select_related("started_by").first()
    if run is None:
        raise Http404("No such deploy run.")
    return render(request, "designer/deploy_run.html", {"project": project, "run": run})


@deployer_required
def progress(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    run = DeployRun.objects.filter(project=project, status="running").order_by("-number").first()
    try:
        tries = int(request.GET.get("n", "0"))
    except ValueError:
        tries = 0
    context = {"project": project, "running": run, "next_try": 1 if run else tries + 1}
    return render(request, "designer/deploy.html#progress", context)


def _rollback_preview(request, project, *, status: int = 200, **extra) -> HttpResponse:
    try:
        plan, problem = deploy_service.rollback_plan(project), ""
    except deploy_service.DeployRefused as exc:
        plan, problem = None, str(exc)
    context = {"project": project, "rollback": plan, "problem": problem, "errors": {}, **extra}
    template = "designer/deploy_rollback.html#rollback-plan" if request.htmx else "designer/deploy_rollback.html"
    return render(request, template, context, status=status)


@deployer_required
def rollback(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the reverse plan (statements with lock, risk and live figures) and a confirm button. POST: run it."""
    project = get_project_for(request, slug)
    if request.method != "POST":
        return _rollback_preview(request, project)
    try:
        run = deploy_service.rollback(
            project,
            actor=request.user,
            confirm_name=request.POST.get("confirm_name"),
            expected_digest=request.POST.get("plan_digest") or None,
        )
    except ValidationError as exc:
        return _rollback_preview(request, project, status=422, errors=exc.message_dict)
    except deploy_service.DeployRefused as exc:
        messages.error(request, str(exc))
        return redirect("designer:deploy", slug=project.slug)
    return redirect("designer:deploy-run-detail", slug=project.slug, number=run.number)


@deployer_required
def drift(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    try:
        report, problem = deploy_service.drift(project), ""
    except deploy_service.DeployRefused as exc:
        report, problem = [], str(exc)
    context = {"project": project, "report": report, "problem": problem, "checked": True}
    template = "designer/deploy.html#drift" if request.htmx else "designer/deploy_drift.html"
    return render(request, template, context)


@deployer_required
@require_POST
def purge(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_project_for(request, slug)
    if request.POST.get("confirm_name") != project.name:
        messages.error(request, f"Type the project name ({project.name}) to purge what deploys kept aside.")
        return redirect("designer:deploy", slug=project.slug)
    try:
        dropped = deploy_service.purge(project, actor=request.user)
    except deploy_service.DeployRefused as exc:  # a deploy holds the project's lock, or the target is down
        messages.error(request, f"Nothing was purged: {exc}")
        return redirect("designer:deploy", slug=project.slug)
    messages.success(request, f"Purged {len(dropped)} kept object(s): {', '.join(dropped) or 'nothing'}.")
    return redirect("designer:deploy", slug=project.slug)
