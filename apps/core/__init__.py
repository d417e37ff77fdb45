"""Shared plumbing: the one error shape, API helpers, health and the worker heartbeat."""
