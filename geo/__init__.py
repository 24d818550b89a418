"""csmap geo package."""
