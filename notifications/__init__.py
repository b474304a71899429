"""Deadline reminders: which are due for whom (rules), the letters (Jinja2 templates),
the delivery ledger's tick, SMTP and outbox transports, and the APScheduler job."""
