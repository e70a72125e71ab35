"""cluster-kb: the knowledge base (schema, store, queries, CLI) built from the pipeline's output."""

DEFAULT_DB = "kb/cluster.sqlite"
