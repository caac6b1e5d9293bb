class AuditRouter:
    """The `audit` alias is a second connection to the same database, never a database of its own to migrate."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == "audit" else None
