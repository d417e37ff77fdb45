"""Policies: the list, each policy's history, a version (read, review, publish, simulate), the
envelope editor and policy-as-code import."""

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.catalogs.selectors import (
    actions_list,
    data_categories_list,
    signals_list,
    templates_list,
)
from apps.checks.simulation import simulate
from apps.core.errors import ApplicationError, Conflict, ValidationFailed
from apps.organizations.constants import Capability
from apps.organizations.models import Team
from apps.policies import document as doc_module
from apps.policies import services
from apps.policies.constants import Mode, VersionState
from apps.policies.models import Policy, PolicyVersion
from apps.policies.selectors import (
    policies_list,
    policy_active_version,
    policy_version_diff,
    policy_versions,
)
from apps.web.policy_editor import MODE_CHOICES, choice_options, document_from_form, editor_rows
from apps.web.simulator import (
    DECISION_MEANINGS,
    SimulatorForm,
    obligation_rows,
    simulator_catalogs,
)
from apps.web.views.base import OrganizationPageView


class PolicyListView(OrganizationPageView):
    template_name = "web/policies/list.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.AUTHOR_POLICIES}
    section = "policies"

    def get_base_queryset(self):
        return policies_list(organization=self.organization).prefetch_related("versions")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        policies = list(self.get_queryset())
        for policy in policies:
            policy.active = next((v for v in policy.versions.all() if v.state == "active"), None)
        context.update(
            policies=policies, values=kwargs.get("values", {}), errors=kwargs.get("errors", {})
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        values = {k: request.POST.get(k, "") for k in ("key", "name", "description")}
        try:
            policy = services.policy_create(
                organization=self.organization, by=request.user, **values
            )
        except ApplicationError as exc:
            return self.render_to_response(
                self.get_context_data(values=values, errors=exc.fields), status=400
            )
        messages.success(request, f"{policy.name} created. Write its first version.")
        return redirect("web:policy-detail", org=self.organization.slug, policy=policy.key)


class PolicyScopedPage(OrganizationPageView):
    section = "policies"

    def get_base_queryset(self):
        return Policy.objects.all()

    def get_policy(self) -> Policy:
        policy = self.get_queryset().filter(key=self.kwargs["policy"]).first()
        if policy is None:
            raise Http404("No such policy.")
        return policy

    def get_version(self, policy: Policy) -> PolicyVersion:
        version = (
            PolicyVersion.objects.filter(
                organization=self.organization, policy=policy, number=self.kwargs["number"]
            )
            .select_related("author", "reviewed_by", "submitted_by", "published_by", "based_on")
            .first()
        )
        if version is None:
            raise Http404("No such version.")
        return version

    def version_url(self, version: PolicyVersion) -> str:
        from django.urls import reverse

        return reverse(
            "web:policy-version",
            kwargs={
                "org": self.organization.slug,
                "policy": version.policy.key,
                "number": version.number,
            },
        )


class PolicyDetailView(PolicyScopedPage):
    """A policy's history: every version, newest first, with who wrote, submitted, reviewed
    and published it and when, and what it changed from the version it was written from.
    Read-only for whoever lacks the author capability (an auditor sees no write button)."""

    template_name = "web/policies/detail.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.AUTHOR_POLICIES}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        policy = self.get_policy()
        versions = list(policy_versions(policy=policy))
        by_number = {v.number: v for v in versions}
        for newer, older in zip(versions, [*versions[1:], None], strict=False):
            # What each version changed from the version it was written from.
            source = by_number.get(newer.based_on.number) if newer.based_on else older
            newer.compared_with = source
            newer.changes = policy_version_diff(version=newer, against=source)
        context.update(
            policy=policy, versions=versions, active=policy_active_version(policy=policy)
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """A new draft: from the active version, or from an older one (rollback)."""
        policy = self.get_policy()
        based_on = None
        if request.POST.get("based_on", "").isdigit():
            based_on = policy.versions.filter(number=int(request.POST["based_on"])).first()
        try:
            version = services.policy_version_create(
                policy=policy, by=request.user, based_on=based_on
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("web:policy-detail", org=self.organization.slug, policy=policy.key)
        what = f"a copy of version {based_on.number}" if based_on else "the active version"
        messages.success(request, f"Draft version {version.number} created from {what}.")
        return redirect(
            "web:policy-edit", org=self.organization.slug, policy=policy.key, number=version.number
        )


class PolicyVersionView(PolicyScopedPage):
    """One version: the envelope as a table, its review against the active version, the
    actions its state allows, and the simulator (POST), which records nothing."""

    template_name = "web/policies/version.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.VIEW}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        policy = self.get_policy()
        version = self.get_version(policy)
        if "simulator" not in kwargs:
            context["simulator"] = self.simulator_form(version)
        against_number = self.request.GET.get("against", "")
        if against_number.isdigit():
            against = policy.versions.filter(number=int(against_number)).first()
        else:
            against = policy_active_version(policy=policy)
            if against is not None and against.pk == version.pk:
                against = (
                    version.based_on or policy.versions.filter(number__lt=version.number).first()
                )
        contributors = set(version.contributors.values_list("pk", flat=True))
        context.update(
            policy=policy,
            version=version,
            doc=version.document,
            against=against,
            against_doc=against.document if against else None,
            changes=policy_version_diff(version=version, against=against),
            changed_actions={
                c.subject
                for c in policy_version_diff(version=version, against=against)
                if c.section == "actions"
            },
            other_versions=policy.versions.exclude(pk=version.pk).order_by("-number"),
            moved_on=_moved_on(version, policy_active_version(policy=policy)),
            wrote_it=self.request.user.pk in contributors
            or version.author_id == self.request.user.pk,
            modes=dict(Mode.choices),
        )
        return context

    def simulator_form(self, version: PolicyVersion, data=None) -> SimulatorForm:
        return SimulatorForm(
            data,
            document=version.document,
            catalogs=simulator_catalogs(self.organization),
            auto_id="sim-%s",
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """What this version would answer an agent, exactly as the check API would; nothing
        is written to the decision log."""
        policy = self.get_policy()
        version = self.get_version(policy)
        form = self.simulator_form(version, request.POST)
        answer = None
        if form.is_valid():
            try:
                answer = simulate(version=version, organization=self.organization, body=form.body)
            except ValidationFailed as exc:
                form.add_problems(exc.fields)
        simulation = {
            "simulator": form,
            "answer": answer,
            "obligations": obligation_rows(answer["obligations"]) if answer else [],
            "answer_json": json.dumps(answer, indent=2, ensure_ascii=False) if answer else "",
            "decision_meanings": DECISION_MEANINGS,
        }
        if request.htmx:
            # htmx swaps only successful answers; the fragment carries any errors itself.
            context = {
                "organization": self.organization,
                "policy": policy,
                "version": version,
                **simulation,
            }
            return render(request, "web/policies/_simulator.html", context)
        return self.render_to_response(
            self.get_context_data(**simulation), status=200 if answer is not None else 400
        )


class VersionActionView(PolicyScopedPage):
    """POST-only transitions: submit, approve, reject, publish."""

    action = ""
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy = self.get_policy()
        version = self.get_version(policy)
        try:
            message = self.perform(request, version)
        except ApplicationError as exc:
            self.record_service_refusal(exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
        return redirect(self.version_url(version))

    def perform(self, request: HttpRequest, version: PolicyVersion) -> str:
        raise NotImplementedError


class SubmitView(VersionActionView):
    permission_map = {"POST": Capability.AUTHOR_POLICIES}

    def perform(self, request, version):
        services.policy_version_submit(version=version, by=request.user)
        return f"Version {version.number} is waiting for review. Its content is now frozen."


class ApproveView(VersionActionView):
    permission_map = {"POST": Capability.REVIEW_POLICIES}

    def perform(self, request, version):
        services.policy_version_approve(
            version=version,
            by=request.user,
            comment=request.POST.get("comment", ""),
            seen_hash=request.POST.get("content_hash") or None,
        )
        return f"Version {version.number} approved. Publish it now or at a set time."


class RejectView(VersionActionView):
    permission_map = {"POST": Capability.REVIEW_POLICIES}

    def perform(self, request, version):
        services.policy_version_reject(
            version=version,
            by=request.user,
            comment=request.POST.get("comment", ""),
            seen_hash=request.POST.get("content_hash") or None,
        )
        return f"Version {version.number} rejected; the author sees your comment."


class PublishView(VersionActionView):
    permission_map = {"POST": Capability.PUBLISH_POLICIES}

    def perform(self, request, version):
        effective_at = _parse_local_datetime(request.POST.get("effective_at", ""))
        services.policy_version_publish(version=version, by=request.user, effective_at=effective_at)
        if effective_at:
            return (
                f"Version {version.number} will become active at {effective_at:%Y-%m-%d %H:%M} UTC."
            )
        return f"Version {version.number} is active now; agents are checked against it."


def _parse_local_datetime(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        raise ApplicationError(
            "The time is not valid.", fields={"effective_at": "Use YYYY-MM-DD HH:MM."}
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.UTC)
    return value


class PolicyEditView(PolicyScopedPage):
    """The envelope editor for a draft."""

    template_name = "web/policies/edit.html"
    permission_map = {"GET": Capability.AUTHOR_POLICIES, "POST": Capability.AUTHOR_POLICIES}

    def catalogs(self) -> dict[str, list]:
        return {
            "actions": list(actions_list(organization=self.organization)),
            "signals": list(signals_list(organization=self.organization)),
            "data_categories": list(data_categories_list(organization=self.organization)),
            "templates": list(templates_list(organization=self.organization)),
            "teams": list(Team.objects.filter(organization=self.organization).order_by("name")),
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy = self.get_policy()
        version = self.get_version(policy)
        if version.state != VersionState.DRAFT:
            messages.error(
                request,
                f"Version {version.number} is {version.get_state_display().lower()}; "
                "only drafts change.",
            )
            return redirect(self.version_url(version))
        return self.render_to_response(self.editor_context(policy, version, version.document, {}))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy = self.get_policy()
        version = self.get_version(policy)
        catalogs = self.catalogs()
        current = version.document

        def ordered(section: str, catalog: list) -> list[str]:
            # The envelope keeps its order; newly added entries follow it.
            mine = list(current.get(section) or {})
            return [*mine, *[entry.key for entry in catalog if entry.key not in mine]]

        doc, problems = document_from_form(
            request.POST,
            action_keys=ordered("actions", catalogs["actions"]),
            signal_keys=ordered("triggers", catalogs["signals"]),
            team_keys=ordered("decision_rights", catalogs["teams"]),
        )
        submit = request.POST.get("then") == "submit"
        if not problems:
            try:
                services.policy_version_edit(
                    version=version, by=request.user, document=doc, submit=submit
                )
            except Conflict as exc:  # no longer a draft: nothing here to fix
                messages.error(request, exc.message)
                return redirect(self.version_url(version))
            except ApplicationError as exc:
                problems = {k.removeprefix("document."): v for k, v in exc.fields.items()} or {
                    "document": exc.message
                }
        if problems:
            context = self.editor_context(policy, version, doc, problems, catalogs)
            return self.render_to_response(context, status=400)
        if submit:
            messages.success(request, f"Version {version.number} saved and sent for review.")
            return redirect(self.version_url(version))
        messages.success(request, f"Draft version {version.number} saved.")
        return redirect(
            "web:policy-edit", org=self.organization.slug, policy=policy.key, number=version.number
        )

    def editor_context(self, policy, version, doc, problems, catalogs=None) -> dict[str, Any]:
        catalogs = catalogs or self.catalogs()
        action_rows, trigger_rows, general, rights_errors = editor_rows(
            doc,
            actions=catalogs["actions"],
            signals=catalogs["signals"],
            errors=problems,
            templates=catalogs["templates"],
            data_categories=catalogs["data_categories"],
        )
        rights = doc.get("decision_rights") or {}
        names = {t.key: t.name for t in catalogs["teams"]}
        context = self.get_context_data()
        context.update(
            policy=policy,
            version=version,
            doc=doc,
            action_rows=action_rows,
            trigger_rows=trigger_rows,
            general_errors=general,
            problem_count=len(problems),
            # The document's teams first, in its order; a team that no longer exists stays
            # visible so validation can flag it.
            team_rows=[
                {
                    "key": key,
                    "name": names.get(key, f"{key} (not a team)"),
                    "rights": ", ".join(values),
                    "error": rights_errors.get(key),
                }
                for key, values in [
                    *rights.items(),
                    *((t.key, []) for t in catalogs["teams"] if t.key not in rights),
                ]
            ],
            never_options=_never_options(doc, catalogs["data_categories"]),
            team_choices=_team_choices(doc, catalogs["teams"]),
            mode_choices=MODE_CHOICES,
            **catalogs,
        )
        return context


def _moved_on(version: PolicyVersion, active: PolicyVersion | None) -> PolicyVersion | None:
    """The active version, when it is newer than the one this version was written from."""
    if version.state not in (VersionState.IN_REVIEW, VersionState.APPROVED) or active is None:
        return None
    source = version.based_on.number if version.based_on else 0
    return active if active.number > source and active.number != version.number else None


def _never_options(doc: dict[str, Any], categories: list) -> list:
    return choice_options((doc.get("data") or {}).get("never"), categories)


def _team_choices(doc: dict[str, Any], teams: list) -> list[tuple[str, str]]:
    """Every team, plus any the document names that no longer exists (so it stays visible
    and is flagged, rather than silently dropped)."""
    known = {t.key for t in teams}
    named = {
        spec.get(name)
        for spec in (doc.get("actions") or {}).values()
        for name in ("approver_team", "route_to_team")
    } | {spec.get("route_to_team") for spec in (doc.get("triggers") or {}).values()}
    missing = sorted(k for k in named if k and k not in known)
    return [(t.key, t.name) for t in teams] + [(k, f"{k} (not a team)") for k in missing]


class PolicyImportView(PolicyScopedPage):
    """Policy as code: paste or upload YAML or JSON to create a draft."""

    template_name = "web/policies/import.html"
    permission_map = {"GET": Capability.AUTHOR_POLICIES, "POST": Capability.AUTHOR_POLICIES}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["policy"] = self.get_policy()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy = self.get_policy()
        upload = request.FILES.get("file")
        text: str | bytes = (
            upload.read(doc_module.MAX_DOCUMENT_BYTES + 1)
            if upload
            else request.POST.get("text", "")
        )
        fmt = request.POST.get("format", "yaml")
        if upload and upload.name.endswith(".json"):
            fmt = "json"
        try:
            version = services.policy_version_import(
                policy=policy, by=request.user, text=text, fmt=fmt
            )
        except ApplicationError as exc:
            context = self.get_context_data(
                errors=exc.fields, text=text if isinstance(text, str) else "", fmt=fmt
            )
            context.update(errors=exc.fields, text=text if isinstance(text, str) else "", fmt=fmt)
            return self.render_to_response(context, status=400)
        messages.success(request, f"Imported as draft version {version.number}.")
        return redirect(self.version_url(version))
