"""The server-rendered UI: views and forms over the other apps' services and selectors; no models."""
