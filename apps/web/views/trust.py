"""Trust figures: each agent's record with people per action and window, the actions that
record says could be autonomous, and one click to propose that as a draft version."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from apps.agents.models import Agent
from apps.core.errors import ApplicationError
from apps.humans.constants import REPORT_WINDOWS, report_window
from apps.humans.trust import agents_trust, trust_thresholds
from apps.organizations.constants import Capability
from apps.policies.services import policy_version_propose_autonomous
from apps.web.views.base import OrganizationPageView


class TrustView(OrganizationPageView):
    template_name = "web/trust.html"
    permission_map = {"GET": Capability.VIEW_DECISIONS, "POST": Capability.AUTHOR_POLICIES}
    section = "trust"
    queryset = Agent.objects.select_related("policy")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        days = report_window(days=self.request.GET.get("days"))
        context.update(
            days=days,
            windows=REPORT_WINDOWS,
            thresholds=trust_thresholds(),
            agents=agents_trust(organization=self.organization, days=days),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Propose the recommended change as a draft; the service reads the record again, so
        a stale page or a forged form proposes nothing the evidence does not support."""
        days = report_window(days=request.POST.get("days"))
        back = f"{reverse('web:trust', kwargs={'org': self.organization.slug})}?days={days}"
        action = request.POST.get("action", "").strip()[:200]
        agent = self.get_queryset().filter(key=request.POST.get("agent", "")).first()
        if agent is None:
            messages.error(request, "No such agent; nothing was proposed.")
            return redirect(back)
        try:
            version = policy_version_propose_autonomous(
                agent=agent, action=action, days=days, by=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        messages.success(
            request,
            f"Draft version {version.number} makes {action} autonomous; every other rule is as "
            "in the active version. Submit it for review: a reviewer who did not write it "
            "approves it.",
        )
        return redirect(
            "web:policy-version",
            org=self.organization.slug,
            policy=version.policy.key,
            number=version.number,
        )
