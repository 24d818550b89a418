"""One app session: configuration, data loading, filters and uploads."""
