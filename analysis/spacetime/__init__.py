"""Space-time: the cube, emerging hot spots and the Knox test."""
