from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeguarding.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self):
        from safeguarding.core.middleware import install_request_id_on_log_records

        install_request_id_on_log_records()
