"""Strategic and practitioner views: placements, missing, agencies, venues."""
