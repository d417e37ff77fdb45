"""Organizations (tenants), memberships and roles, teams, and the tenancy scoping of every view."""
