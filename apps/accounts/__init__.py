"""People: the user model, sign-in records and personal access tokens for the management API."""
