"""Reads, each scoped to the person asking and recording what it shows: `access` reaches one record, the other
modules list and search them."""
