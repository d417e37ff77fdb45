from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        # Every process (site, worker, beat, commands) can then send and receive tasks.
        from config.celery import ensure_filesystem_broker

        ensure_filesystem_broker()
