"""Read models built from the event log: status rows, timelines, campaign lists."""
