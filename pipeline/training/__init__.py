"""Training tools: they build the models under models/ that the pipeline loads (``make train``).

Nothing in the runtime (``pipeline`` stages, ``kb``) imports this package; the evaluation
(``kb eval --compare``) reads the corpora through :mod:`pipeline.training.ner_data`.
"""
