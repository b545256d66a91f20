.PHONY: demo test bench lint

demo:  ## install everything, run the demo on the embedded memory store
	bash scripts/demo.sh

test:  ## install everything, start Redis if none answers, run the whole test-suite
	bash scripts/test.sh

bench:  ## full benchmark suite (needs Redis: scripts/redis.sh)
	bash scripts/setup.sh && bash scripts/redis.sh && .venv/bin/antiextract bench

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
