"""Policies (delegation envelopes), their versions and life cycle, diff and import/export."""
