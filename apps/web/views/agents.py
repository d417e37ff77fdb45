"""Agents, their keys and the kill switch."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.agents import services
from apps.agents.models import Agent
from apps.core.errors import ApplicationError, ValidationFailed
from apps.organizations.constants import Capability
from apps.organizations.models import Team
from apps.policies.models import Policy
from apps.web.forms_agents import KeyCreateForm, KeyRotateForm, parse_utc
from apps.web.views.base import OrganizationPageView, apply_error

# A new key travels from the POST that made it to the next GET of the agent's page in the
# session, and only there: refreshing that page does not make another key, and the key is
# gone from the session once shown.
NEW_KEY_SESSION = "agent_new_key"


class AgentListView(OrganizationPageView):
    template_name = "web/agents/list.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_AGENTS}
    section = "agents"
    queryset = Agent.objects.select_related("team", "policy")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            agents=self.get_queryset().order_by("name"),
            teams=Team.objects.filter(organization=self.organization).order_by("name"),
            policies=Policy.objects.filter(organization=self.organization).order_by("name"),
            values=kwargs.get("values", {}),
            errors=kwargs.get("errors", {}),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        values = {
            k: request.POST.get(k, "") for k in ("key", "name", "description", "team", "policy")
        }
        try:
            agent = services.agent_create(organization=self.organization, by=request.user, **values)
        except ApplicationError as exc:
            return self.render_to_response(
                self.get_context_data(values=values, errors=exc.fields), status=400
            )
        messages.success(request, f"{agent.name} registered. Create a key for it below.")
        return redirect("web:agent-detail", org=self.organization.slug, agent=agent.key)


class AgentDetailView(OrganizationPageView):
    template_name = "web/agents/detail.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_AGENTS}
    section = "agents"
    queryset = Agent.objects.select_related("team", "policy")

    def get_agent(self) -> Agent:
        if not hasattr(self, "_agent"):
            agent = self.get_queryset().filter(key=self.kwargs["agent"]).first()
            if agent is None:
                raise Http404("No such agent.")
            self._agent = agent
        return self._agent

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        agent = self.get_agent()
        stashed = request.session.pop(NEW_KEY_SESSION, None)
        shown = None
        if (
            isinstance(stashed, dict)
            and stashed.get("organization") == self.organization.pk
            and stashed.get("agent") == agent.pk
        ):
            shown = {
                "raw": stashed["raw"],
                "prefix": stashed["prefix"],
                "expires_at": parse_utc(stashed.get("expires_at") or ""),
                "old_prefix": stashed.get("old_prefix", ""),
                "old_valid_until": parse_utc(stashed.get("old_valid_until") or ""),
            }
        response = self.render_to_response(self.get_context_data(new_key=shown))
        if shown:
            response["Cache-Control"] = "no-store"  # the page holds a key shown once
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        agent = self.get_agent()
        keys = list(agent.keys.all()) if self.has_capability(Capability.MANAGE_AGENTS) else []
        failed_rotation = kwargs.get("rotate_form")
        rows = []
        for key in keys:
            if failed_rotation is not None and failed_rotation.data.get("prefix") == key.prefix:
                form = failed_rotation
            else:
                form = KeyRotateForm(key_prefix=key.prefix)
            rows.append({"key": key, "rotate_form": form, "open": form is failed_rotation})
        context.update(
            agent=agent,
            keys=rows,
            create_form=kwargs.get("create_form") or KeyCreateForm(auto_id="new-key-%s"),
            teams=Team.objects.filter(organization=self.organization).order_by("name"),
            policies=Policy.objects.filter(organization=self.organization).order_by("name"),
            new_key=kwargs.get("new_key"),
        )
        return context

    def _show_key_once(
        self, agent: Agent, issued: services.IssuedKey, **extra: Any
    ) -> HttpResponse:
        self.request.session[NEW_KEY_SESSION] = {
            "organization": self.organization.pk,
            "agent": agent.pk,
            "raw": issued.raw,
            "prefix": issued.key.prefix,
            "expires_at": issued.key.expires_at.isoformat() if issued.key.expires_at else "",
            **extra,
        }
        return redirect("web:agent-detail", org=self.organization.slug, agent=agent.key)

    def _invalid(self, **forms: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(**forms), status=400)

    def create_key(self, agent: Agent) -> HttpResponse:
        form = KeyCreateForm(self.request.POST, auto_id="new-key-%s")
        if not form.is_valid():
            return self._invalid(create_form=form)
        try:
            issued = services.agent_key_create(
                agent=agent, by=self.request.user, expires_at=form.cleaned_data["expires_at"]
            )
        except ApplicationError as exc:
            apply_error(form, exc)
            return self._invalid(create_form=form)
        return self._show_key_once(agent, issued)

    def rotate_key(self, agent: Agent) -> HttpResponse:
        prefix = self.request.POST.get("prefix", "")
        form = KeyRotateForm(self.request.POST, key_prefix=prefix)
        if not agent.keys.filter(prefix=prefix).exists():
            raise Http404("No such key.")
        if not form.is_valid():
            return self._invalid(rotate_form=form)
        try:
            issued = services.agent_key_rotate(
                agent=agent,
                by=self.request.user,
                prefix=prefix,
                old_valid_until=form.cleaned_data["old_valid_until"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationFailed as exc:
            apply_error(form, exc)
            return self._invalid(rotate_form=form)
        except ApplicationError as exc:  # the key was revoked or expired meanwhile
            messages.error(self.request, exc.message)
            return redirect("web:agent-detail", org=self.organization.slug, agent=agent.key)
        old = agent.keys.get(prefix=prefix)
        return self._show_key_once(
            agent, issued, old_prefix=old.prefix, old_valid_until=old.expires_at.isoformat()
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        agent = self.get_agent()
        action = request.POST.get("action", "")
        if action == "create_key":
            return self.create_key(agent)
        if action == "rotate_key":
            return self.rotate_key(agent)
        try:
            if action == "revoke_key":
                services.agent_key_revoke(
                    agent=agent, by=request.user, prefix=request.POST.get("prefix", "")
                )
                messages.success(request, "Key revoked: it no longer works.")
            elif action == "suspend":
                services.agent_suspend(agent=agent, by=request.user)
                messages.success(
                    request, f"{agent.name} is suspended: every check it makes is denied."
                )
            elif action == "resume":
                services.agent_resume(agent=agent, by=request.user)
                messages.success(request, f"{agent.name} is active again.")
            elif action == "update":
                services.agent_update(
                    agent=agent,
                    by=request.user,
                    team=request.POST.get("team", ""),
                    policy=request.POST.get("policy", ""),
                )
                messages.success(request, f"{agent.name} saved.")
            else:
                raise Http404("Unknown action.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("web:agent-detail", org=self.organization.slug, agent=agent.key)


class AutonomyView(OrganizationPageView):
    """The kill switch, posted from the organization's home page."""

    permission_map = {"POST": Capability.CONTROL_AUTONOMY}
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        paused = request.POST.get("paused") == "1"
        try:
            services.organization_autonomy_set(
                organization=self.organization,
                by=request.user,
                paused=paused,
                reason=request.POST.get("reason", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("web:org-home", org=self.organization.slug)
        if paused:
            # Not a success to celebrate: agents now wait for people.
            messages.warning(
                request,
                "Autonomy paused: every would-be allow now waits for a person; denies still deny.",
            )
        else:
            messages.success(request, "Autonomy resumed: agents act alone within their envelope.")
        return redirect("web:org-home", org=self.organization.slug)
