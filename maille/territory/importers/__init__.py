"""Open-data importers of the territory.

Each module parses and validates one kind of file into plain rows plus rejects (``parse_*``, no database
writes, testable on its own), then writes the valid rows with bulk upserts (``save_*``). The management
commands (``import_cog``, ``import_centroids``, ``import_apl``, ``import_polygons``, ``import_cpts``) are thin
wrappers; ``maille.territory.loading`` chains them on the shipped Grand Est dataset.
"""
