from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organisations"

    def ready(self):
        from accounts import personal_data

        personal_data.register("profile", export=personal_data.export_account)
