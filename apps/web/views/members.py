"""Members of an organization, their roles, and invitations."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.errors import ApplicationError
from apps.organizations import services
from apps.organizations.constants import Capability
from apps.organizations.models import Invitation, Membership
from apps.organizations.selectors import members_list
from apps.web.forms import ROLE_DESCRIPTIONS, AcceptInvitationForm, InvitationForm, MemberRolesForm
from apps.web.views.base import OrganizationPageView, apply_error


class MemberListView(OrganizationPageView):
    template_name = "web/member_list.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_MEMBERS}
    section = "members"

    def get_base_queryset(self):
        return members_list(organization=self.organization)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", InvitationForm())
        invitations = []
        if self.has_capability(Capability.MANAGE_MEMBERS):
            invitations = Invitation.objects.pending().filter(organization=self.organization)
        context.update(
            members=self.get_queryset(),
            invitations=invitations,
            role_descriptions=ROLE_DESCRIPTIONS,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action, invitation_id = request.POST.get("action", ""), request.POST.get("invitation", "")
        if action in ("resend", "revoke"):
            invitation = Invitation.objects.filter(
                organization=self.organization, pk=invitation_id if invitation_id.isdigit() else 0
            ).first()
            if invitation is None:
                raise Http404("No such invitation.")
            act = services.invitation_resend if action == "resend" else services.invitation_revoke
            try:
                act(invitation=invitation, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                done = "sent again" if action == "resend" else "revoked"
                messages.success(request, f"Invitation to {invitation.email} {done}.")
            return redirect("web:member-list", org=self.organization.slug)
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    organization=self.organization, by=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
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


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation e-mail: join as the signed-in person, or create an account."""
    found = services.invitation_find(raw_token=token)
    if found is None or found.status != "pending":
        return render(
            request,
            "web/invitation.html",
            {"invitation": found, "closed": True},
            status=404 if found is None else 410,
        )
    form = AcceptInvitationForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                membership = services.invitation_accept(invitation=found, user=request.user)
            elif form.is_valid():
                membership = services.invitation_accept_as_new_user(
                    invitation=found, **form.cleaned_data
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                membership = None
        except ApplicationError as exc:
            if form is not None:
                apply_error(form, exc)
            else:
                messages.error(request, exc.message)
            membership = None
        if membership is not None:
            messages.success(request, f"Welcome to {found.organization.name}.")
            return redirect("web:org-home", org=found.organization.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/invitation.html", {"invitation": found, "form": form}, status=status
    )
