"""Agents, their API keys and key authentication, suspension and the organization's kill switch."""
