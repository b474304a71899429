"""The pure centre of kiemtra: plans, aggregates, date rules, calendar. No I/O here."""
