# make test: set up .venv and run every check and test.  make demo: the main job, locally.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test demo lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Gearbox needs Python 3.11 or newer ($(PYTHON) is older)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python examples/object_metadata_demo.py

bench: $(STAMP)
	$(BIN)/python bench/sqs.py
	$(BIN)/python bench/backend.py
	$(BIN)/python bench/durable.py
	$(BIN)/python bench/lambda_runtime.py
	$(BIN)/python bench/lambda_invoke.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/policy.py

clean:
	rm -rf $(VENV) .bench-venv .gearbox
