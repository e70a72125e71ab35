"""cluster-kb's processing: the stages a document goes through (read, normalize, clean, dedup,
extract) and the Document they pass."""
