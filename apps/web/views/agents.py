"""Agents, their keys and the kill switch."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.agents import services
from apps.agents.models import Agent
from apps.core.errors import ApplicationError
from apps.organizations.constants import Capability
from apps.organizations.models import Team
from apps.policies.models import Policy
from apps.web.views.base import OrganizationPageView


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
        agent = self.get_queryset().filter(key=self.kwargs["agent"]).first()
        if agent is None:
            raise Http404("No such agent.")
        return agent

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        agent = self.get_agent()
        context.update(
            agent=agent,
            keys=agent.keys.all() if self.has_capability(Capability.MANAGE_AGENTS) else [],
            teams=Team.objects.filter(organization=self.organization).order_by("name"),
            policies=Policy.objects.filter(organization=self.organization).order_by("name"),
            new_key=kwargs.get("new_key"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        agent = self.get_agent()
        action = request.POST.get("action", "")
        try:
            if action == "create_key":
                issued = services.agent_key_create(agent=agent, by=request.user)
                response = self.render_to_response(self.get_context_data(new_key=issued))
                response["Cache-Control"] = "no-store"  # the page holds a key shown once
                return response
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
        else:
            messages.success(
                request,
                "Autonomy paused: every action now waits for a person."
                if paused
                else "Autonomy resumed.",
            )
        return redirect("web:org-home", org=self.organization.slug)
