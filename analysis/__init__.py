"""csmap analysis package."""
