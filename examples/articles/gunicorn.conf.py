"""gunicorn settings: synchronous worker threads (gthread), the app loaded once before the fork."""

import os

from prometheus_client import multiprocess

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = int(os.environ.get("ARTICLES_WORKERS", "2"))
threads = int(os.environ.get("ARTICLES_THREADS", "4"))
preload_app = True
accesslog = None
# a request that waits longer than this on a worker is answered by nobody: gunicorn restarts it
timeout = 60


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
