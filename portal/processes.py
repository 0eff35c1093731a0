"""The portal's long-running processes, one definition shared by `make run` and docker-compose."""


def web(bind: str) -> list[str]:
    return [
        "gunicorn",
        "portal.wsgi:application",
        "--bind",
        bind,
        "--workers",
        "2",
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ]


WORKER = ["celery", "-A", "portal", "worker", "--loglevel", "INFO", "--concurrency", "2"]
BEAT = ["celery", "-A", "portal", "beat", "--loglevel", "INFO"]
