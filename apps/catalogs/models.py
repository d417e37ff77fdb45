"""Catalog entries an organization's policy documents refer to by their stable key."""

from django.conf import settings
from django.db import models

from apps.catalogs.constants import Risk, TemplateKind


class CatalogEntry(models.Model):
    """Fields shared by the keyed catalogs."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    key = models.SlugField(max_length=64)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label or self.key


class Action(CatalogEntry):
    """Something an agent may ask to do (send_follow_up, offer_discount, …)."""

    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.MEDIUM)

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_action_key"),
        ]


class Signal(CatalogEntry):
    """Something an agent can notice in a conversation (buying_intent, human_requested, …)."""

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_signal_key"),
        ]


class DataCategory(CatalogEntry):
    """A kind of data an action may use (contact_details, payment_card, …)."""

    sensitive = models.BooleanField(default=False)

    class Meta(CatalogEntry.Meta):
        verbose_name_plural = "data categories"
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_data_key"),
        ]


class Template(CatalogEntry):
    """An approved template; its body is versioned (a changed body is a new version)."""

    kind = models.CharField(max_length=20, choices=TemplateKind.choices, default=TemplateKind.EMAIL)
    engagement_type = models.CharField(max_length=100, blank=True)
    current_version = models.PositiveIntegerField(default=1)

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_template_key"),
        ]


class TemplateVersion(models.Model):
    """One immutable body of a template."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "template", "number"], name="unique_template_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.number}"
