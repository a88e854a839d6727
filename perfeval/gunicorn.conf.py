"""gunicorn's settings for `make serve` (and the systemd unit in docs/deployment.md); each can be overridden from
the environment: PORT, BIND, WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT."""

import os

# One process per core, threads for the many requests that wait on the database (100–150 users at a deadline).
workers = int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 2)
threads = int(os.environ.get("WEB_THREADS", "4"))
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# The slowest page is the 财政 administrator's .xlsx of a district's year (about 3 s at 10,000 forms); a single
# PDF has its own limit. 60 s leaves room and still frees a stuck worker.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Each request is logged by the application (projects.middleware.request_log: user and duration), once.
accesslog = None
errorlog = "-"
# Workers are recycled now and then, so that a slow leak never grows with the year.
max_requests = 2000
max_requests_jitter = 200
