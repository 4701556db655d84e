"""The Celery app; workers start with `celery -A hpoweb worker`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpoweb.settings")

# Task modules; a new one is added here by name (studies never imports workers).
app = Celery("hpoweb", include=["workers.tasks", "workers.analysis_tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
