"""Deadline reminders (rules, Jinja2 templates, SMTP and outbox transports, scheduler).

Reminder sending arrives with the reminders issue; the package exists now so
the layers of DESIGN.md section 5 are in place from the start.
"""
