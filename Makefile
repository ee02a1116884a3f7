.PHONY: run stop test bench build

run:
	@bash scripts/run.sh

stop:
	@bash scripts/stack.sh down dev

test:
	@bash scripts/test.sh

bench:
	@bash bench/poll_bench.sh

build:
	swift build -c release --product coaching
