"""Forms: parse and validate what people type; the services decide."""

from django import forms

from apps.organizations.constants import ROLE_HELP, Role


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organization name")
    slug = forms.SlugField(
        max_length=50,
        label="Address",
        help_text="Lowercase letters, digits and hyphens; used in links (/o/<address>/).",
    )


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            choices=[(r.value, r.label) for r in Role],
            error_messages={"required": "Choose at least one role."},
            **kwargs,
        )


class InvitationForm(forms.Form):
    email = forms.CharField(
        max_length=254,
        label="E-mail address",
        help_text="They get a link by e-mail and join when they accept it.",
    )
    roles = RolesField()


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class MemberRolesForm(forms.Form):
    roles = RolesField()


class TeamForm(forms.Form):
    name = forms.CharField(max_length=200)
    key = forms.SlugField(
        max_length=50,
        help_text="Stable name used in policies, e.g. deal-desk. It cannot change later.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class TeamEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    members = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, member_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = member_choices


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “CI policy sync”.")
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label="Expires after (days)",
        help_text="Leave empty for a token that lasts until revoked.",
    )


ROLE_DESCRIPTIONS = [(Role(r).label, text) for r, text in ROLE_HELP.items()]
