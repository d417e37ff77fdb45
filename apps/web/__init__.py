"""The server-rendered UI: views and forms over the services and selectors; no models."""
