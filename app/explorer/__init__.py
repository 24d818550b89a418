"""The hotspot explorer: parameters, cache, what a role sees, exports."""
