"""What the Overview page and a location assessment show a role (pure)."""
