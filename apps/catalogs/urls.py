"""Management API paths for the catalogs."""

from django.urls import path

from apps.catalogs import api

C = "orgs/<slug:org>/catalog/"

urlpatterns = [
    path(C + "actions/", api.ActionListView.as_view(), name="catalog-actions"),
    path(C + "actions/<slug:key>/", api.ActionDetailView.as_view(), name="catalog-action"),
    path(C + "signals/", api.SignalListView.as_view(), name="catalog-signals"),
    path(C + "signals/<slug:key>/", api.SignalDetailView.as_view(), name="catalog-signal"),
    path(
        C + "data-categories/", api.DataCategoryListView.as_view(), name="catalog-data-categories"
    ),
    path(
        C + "data-categories/<slug:key>/",
        api.DataCategoryDetailView.as_view(),
        name="catalog-data-category",
    ),
    path(C + "templates/", api.TemplateListView.as_view(), name="catalog-templates"),
    path(C + "templates/<slug:key>/", api.TemplateDetailView.as_view(), name="catalog-template"),
]
