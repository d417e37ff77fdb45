"""Production settings, served on plain HTTP over loopback, with the two baselines routed
beside the real site (same middleware, same server, same database)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "benchmarks.check_api.urls"
