"""Top-level URLs: pages, the API under /api/v1/, its schema and docs, health."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.checks import urls as checks_urls
from apps.core.health import healthz
from apps.humans import urls as humans_urls
from apps.web.views import members

agent_api_v1 = [*checks_urls.agent_urlpatterns, *humans_urls.agent_urlpatterns]

api_v1 = [
    path("", include("apps.accounts.urls")),
    path("", include("apps.organizations.urls")),
    path("", include("apps.catalogs.urls")),
    path("", include("apps.policies.urls")),
    path("", include("apps.agents.urls")),
    path("", include("apps.checks.urls")),
    path("", include("apps.humans.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.audit.evidence_urls")),
]

urlpatterns = [
    path("", include("apps.web.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitations/<str:token>/", members.invitation, name="invitation"),
    path("api/v1/", include((agent_api_v1, "agent-api"))),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI sets inline styles; only this page allows them.
    path(
        "api/docs/",
        csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "apps.web.errors.bad_request"
handler403 = "apps.web.errors.forbidden"
handler404 = "apps.web.errors.not_found"
handler500 = "apps.web.errors.server_error"
