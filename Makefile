# Shortcuts; the scripts are the source of truth (they need only bash).
.PHONY: run test bench lint
run:
	scripts/run.sh
test:
	scripts/test.sh
bench:
	scripts/setup.sh web,train,dev && .venv/bin/python -m bench
lint:
	.venv/bin/python -m ruff check . && .venv/bin/python -m ruff format --check . && .venv/bin/python -m mypy
