# Placement policies compared (chapter 1): a model of chapter 1's block list
# under first, next, best and worst fit, on the same workloads.  It needs no
# tangled source; `make measure-placement` writes the figures the book cites.
BENCHES              += placement-bench
placement-bench_STAGE := 1
placement-bench_SRCS  := bench/bench_placement.c

.PHONY: measure-placement
measure-placement: build/bench/placement-bench   ## measure the placement policies into book/measured/placement.json
	@mkdir -p book/measured
	@build/bench/placement-bench --json > book/measured/placement.json.tmp
	@python3 -c 'import json,sys; json.load(open(sys.argv[1]))' book/measured/placement.json.tmp
	@mv book/measured/placement.json.tmp book/measured/placement.json
	@echo "measure-placement: book/measured/placement.json"
