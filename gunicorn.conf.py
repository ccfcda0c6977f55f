"""gunicorn settings read from the project folder: warm each SIGAP worker before it serves."""


def post_worker_init(worker):
    """Build triage rules and the gazetteer before the first request, outside any lock."""
    app = worker.wsgi
    if getattr(app, "name", None) != "sigap":
        return  # a benchmark baseline served from the same folder
    from intake.pipeline import warm_up

    with app.app_context():
        warm_up()


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the metrics folder (its counts stay)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
