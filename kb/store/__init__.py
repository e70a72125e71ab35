"""The SQLite knowledge base: writes a processed Document in one transaction, answers lookups.

Written with sqlite-utils. Re-ingesting a file whose content hash is stored changes nothing; a
file whose content changed replaces the document stored for its path, in the same transaction.

The knowledge base does not depend on the order documents arrive in: corpus-wide duplicates are
decided by a fixed rule (``pipeline.dedup.assign``: the earliest-dated copy, then the smaller
sha256, is the original) over a MinHash LSH index of the stored originals (``kb.corpus_index``),
and a paragraph's facts (mentions, relations, metrics) are in the fact tables only while it is an
original. A duplicate's facts are kept aside in ``held_facts`` (one JSON record per paragraph):
when a new document makes a stored paragraph a duplicate its facts move there; when a stored
duplicate becomes an original again (its original was replaced) they move back. No stored
document is ever run through the pipeline again because another one arrived.

Writes are batched per document (``executemany``), and entity ids are looked up once per name in
a document through the unique identity index (``tests/integration/test_store.py`` checks the query plans).
"""

from .facts import Facts, document_facts_by_paragraph, with_canonical_regions
from .writer import STORE_TABLES, Store, StoreError

__all__ = ["STORE_TABLES", "Facts", "Store", "StoreError", "document_facts_by_paragraph", "with_canonical_regions"]
