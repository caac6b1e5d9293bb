"""Every form of the domain, one module per area; the widgets and fields they share are in `fields`."""
