"""Organization list, creation, switching and each organization's home page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.audit.selectors import audit_events_recent
from apps.core.errors import ApplicationError
from apps.organizations import services
from apps.organizations.constants import ROLE_HELP, Capability, Role
from apps.organizations.models import Membership
from apps.organizations.selectors import members_list, teams_list
from apps.web.forms import OrganizationForm
from apps.web.views.base import OrganizationPageView, apply_error
from apps.web.views.inbox import human_loop_card


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the organization when there is one; otherwise the list."""
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization"))
    last = request.session.get("last_org")
    if last and any(m.organization.slug == last for m in memberships):
        return redirect("web:org-home", org=last)
    if len(memberships) == 1:
        return redirect("web:org-home", org=memberships[0].organization.slug)
    return redirect("web:org-list")


@login_required
@require_http_methods(["GET", "POST"])
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, f"{org.name} is ready. You are its owner.")
            return redirect("web:org-home", org=org.slug)
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name")
    )
    status = 400 if form.errors else 200
    return render(
        request,
        "web/organization_list.html",
        {"memberships": memberships, "form": form},
        status=status,
    )


class OrganizationHomeView(OrganizationPageView):
    template_name = "web/organization_home.html"
    permission_map = {"GET": Capability.VIEW}
    section = "home"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.request.session["last_org"] = self.organization.slug
        context = super().get_context_data(**kwargs)
        members = list(members_list(organization=self.organization))
        teams = list(teams_list(organization=self.organization))
        my_teams = [
            t
            for t in teams
            if any(tm.user_id == self.request.user.pk for tm in t.team_memberships.all())
        ]
        context.update(
            member_count=len(members),
            teams=teams,
            my_teams=my_teams,
            role_counts=[
                (role.label, sum(1 for m in members if role.value in m.roles)) for role in Role
            ],
            role_help=[(Role(r).label, ROLE_HELP[r]) for r in self.membership.roles],
            human_loop=human_loop_card(organization=self.organization),
            recent_events=(
                audit_events_recent(organization=self.organization, limit=8)
                if self.has_capability(Capability.VIEW_AUDIT)
                else []
            ),
        )
        return context
