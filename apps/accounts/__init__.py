"""People: the user model and personal access tokens for the management API."""
