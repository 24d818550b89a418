"""The store: one GeoPackage of records, its metadata, writers, exports, retention."""
