# cluster-kb: `make run` builds the knowledge base from corpus/, `make test` runs the tests.
# Both create the virtual environment and install the project on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DB     ?= kb/cluster.sqlite
SHARED ?= ../shared
CONFUSIONS = $(SHARED)/data/ocr_confusion/confusion.txt
GOLD        = $(SHARED)/data/seed-gold.jsonl
GOLD_COPY   = tests/data/seed-gold.jsonl

.PHONY: setup run test eval calibrate bench bench-ocr serve map system-deps clean-db clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: setup
	$(BIN)/kb ingest corpus/ --db $(DB)

test: setup
	$(BIN)/python -m pytest

eval: setup
	@if [ -f $(GOLD) ]; then \
		$(BIN)/kb eval $(GOLD) --corpus corpus/ --layers; \
	else \
		echo "note: $(GOLD) is missing; scoring against the copy in $(GOLD_COPY)"; \
		$(BIN)/kb eval $(GOLD_COPY) --corpus corpus/ --layers; \
	fi

calibrate: setup
	@if [ -f $(CONFUSIONS) ]; then \
		$(BIN)/python -m pipeline.dedup calibrate corpus/ --confusions $(CONFUSIONS); \
	else \
		echo "note: $(CONFUSIONS) is missing; damaging copies without the OCR confusion set"; \
		$(BIN)/python -m pipeline.dedup calibrate corpus/; \
	fi

bench: setup
	$(BIN)/python tests/bench/bench_ingest.py

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
	rm -rf $(VENV) *.egg-info .pytest_cache
