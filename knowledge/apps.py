from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from conversations import hooks
        from knowledge import personal_data

        hooks.personal_data_exporters.append(personal_data.knowledge_gaps)
        hooks.personal_data_erased.append(personal_data.erase_gap_questions)
