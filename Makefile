.PHONY: demo test bench lint mutate

demo:  ## install everything, run the demo on the embedded memory store
	bash scripts/demo.sh

test:  ## install everything, start Redis if none answers, run the whole test-suite
	bash scripts/test.sh

bench:  ## every benchmark, results in benchmarks/results/, latency chart (starts Redis if needed)
	bash scripts/setup.sh && .venv/bin/python -m pip install -q -e '.[test,bench]' \
	  && bash scripts/redis.sh && .venv/bin/antiextract bench

mutate:  ## mutation testing: mutmut on the pure modules, our Lua mutator on the store's scripts
	bash scripts/setup.sh && .venv/bin/python -m pip install -q -e '.[test,mutate]' \
	  && bash scripts/redis.sh && nice -n 10 .venv/bin/python scripts/mutate.py $(TARGETS)

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
