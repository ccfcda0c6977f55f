"""Thin HTTP in: verify the provider's signature, store the raw message, reply."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhook routes, their jobs and their commands."""
    from webhooks import cli, gateway_jobs, jobs, media, mms, smsgate, twilio, whatsapp_cloud

    app.register_blueprint(twilio.bp)
    app.register_blueprint(smsgate.bp)
    app.register_blueprint(whatsapp_cloud.bp)
    jobs.register_jobs()
    gateway_jobs.register_jobs()
    media.register_jobs()
    mms.register_jobs()
    cli.init_app(app)
