"""csmap sub-commands, one module each, grouped by stage (see :mod:`app.cli`).

``data/`` brings records in or deletes them, ``analyse/`` computes, ``outputs/`` writes what people
take away, ``admin/`` runs the service. ``argtypes``, ``inputs`` and ``audited`` serve all of them:
argument types, reading an input file or store, and the audit wrapper for commands that disclose.
"""
