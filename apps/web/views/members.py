"""Members of an organization and their roles."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.errors import ApplicationError
from apps.organizations import services
from apps.organizations.constants import Capability
from apps.organizations.models import Membership
from apps.organizations.selectors import members_list
from apps.web.forms import ROLE_DESCRIPTIONS, MemberAddForm, MemberRolesForm
from apps.web.views.base import OrganizationPageView, apply_error


class MemberListView(OrganizationPageView):
    template_name = "web/member_list.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_MEMBERS}
    section = "members"

    def get_base_queryset(self):
        return members_list(organization=self.organization)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", MemberAddForm())
        context.update(members=self.get_queryset(), role_descriptions=ROLE_DESCRIPTIONS)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                membership, invited = services.membership_add(
                    organization=self.organization,
                    by=request.user,
                    roles=form.cleaned_data["roles"],
                    **form.identity(),
                )
            except ApplicationError as exc:
                if "username" in exc.fields or "email" in exc.fields:
                    exc.fields["person"] = exc.fields.pop("username", None) or exc.fields.pop(
                        "email"
                    )
                apply_error(form, exc)
            else:
                who = membership.user.username
                messages.success(
                    request,
                    f"Invitation sent to {membership.user.email}." if invited else f"{who} added.",
                )
                return redirect("web:member-list", org=self.organization.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MemberDetailView(OrganizationPageView):
    template_name = "web/member_detail.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_MEMBERS}
    section = "members"

    def get_base_queryset(self):
        return members_list(organization=self.organization)

    def get_member(self) -> Membership:
        member = self.get_queryset().filter(user__username=self.kwargs["username"]).first()
        if member is None:
            raise Http404("No such member.")
        return member

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        member = kwargs.pop("current_member", None) or self.get_member()
        context.setdefault("form", MemberRolesForm(initial={"roles": member.roles}))
        context.update(member=member, role_descriptions=ROLE_DESCRIPTIONS)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = self.get_member()
        if request.POST.get("action") == "remove":
            try:
                services.membership_remove(membership=member, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return redirect(
                    "web:member-detail", org=self.organization.slug, username=member.user.username
                )
            messages.success(
                request, f"{member.user.username} was removed from {self.organization}."
            )
            return redirect("web:member-list", org=self.organization.slug)
        form = MemberRolesForm(request.POST)
        if form.is_valid():
            try:
                services.membership_set_roles(
                    membership=member, by=request.user, roles=form.cleaned_data["roles"]
                )
            except ApplicationError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, f"Roles of {member.user.username} saved.")
                return redirect("web:member-list", org=self.organization.slug)
        return self.render_to_response(
            self.get_context_data(form=form, current_member=member), status=400
        )
