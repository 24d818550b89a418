"""National and partner file formats: SSDA903, police.uk, venue registers."""
