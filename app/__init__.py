"""csmap app package."""
