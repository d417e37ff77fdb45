"""Teams and who is in them."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.errors import ApplicationError
from apps.organizations import services
from apps.organizations.constants import Capability
from apps.organizations.models import Team
from apps.organizations.selectors import members_list, teams_list
from apps.web.forms import TeamEditForm, TeamForm
from apps.web.views.base import OrganizationPageView, apply_error


class TeamListView(OrganizationPageView):
    template_name = "web/team_list.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_TEAMS}
    section = "teams"

    def get_base_queryset(self):
        return teams_list(organization=self.organization)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TeamForm())
        context["teams"] = self.get_queryset()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                team = services.team_create(
                    organization=self.organization, by=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, f"Team {team.name} created. Now add its members.")
                return redirect("web:team-detail", org=self.organization.slug, team=team.key)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class TeamDetailView(OrganizationPageView):
    template_name = "web/team_detail.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_TEAMS}
    section = "teams"

    def get_base_queryset(self):
        return teams_list(organization=self.organization)

    def get_team(self) -> Team:
        team = self.get_queryset().filter(key=self.kwargs["team"]).first()
        if team is None:
            raise Http404("No such team.")
        return team

    def member_choices(self) -> list[tuple[str, str]]:
        return [
            (m.user.username, f"{m.user} ({m.user.username})")
            for m in members_list(organization=self.organization)
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        team = kwargs.pop("current_team", None) or self.get_team()
        context.setdefault(
            "form",
            TeamEditForm(
                initial={
                    "name": team.name,
                    "description": team.description,
                    "members": [tm.user.username for tm in team.team_memberships.all()],
                },
                member_choices=self.member_choices(),
            ),
        )
        context["team"] = team
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        team = self.get_team()
        if request.POST.get("action") == "delete":
            try:
                services.team_delete(team=team, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return redirect("web:team-detail", org=self.organization.slug, team=team.key)
            messages.success(request, f"Team {team.name} deleted.")
            return redirect("web:team-list", org=self.organization.slug)
        form = TeamEditForm(request.POST, member_choices=self.member_choices())
        if form.is_valid():
            try:
                services.team_edit(team=team, by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, f"Team {team.name} saved.")
                return redirect("web:team-detail", org=self.organization.slug, team=team.key)
        return self.render_to_response(
            self.get_context_data(form=form, current_team=team), status=400
        )
