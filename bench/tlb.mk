# What a TLB miss costs on this machine (chapter 3): a chain of loads over
# the same cache lines, packed in few pages or spread over many.  It needs
# no tangled source; `make measure-tlb` writes the figures the book cites.
BENCHES        += tlb-bench
tlb-bench_STAGE := 1
tlb-bench_SRCS  := bench/bench_tlb.c

.PHONY: measure-tlb
measure-tlb: build/bench/tlb-bench   ## measure a TLB miss into book/measured/tlb.json
	@mkdir -p book/measured
	@nice build/bench/tlb-bench --json book/measured/tlb.json.tmp
	@python3 -c 'import json,sys; json.load(open(sys.argv[1]))' book/measured/tlb.json.tmp
	@mv book/measured/tlb.json.tmp book/measured/tlb.json
	@echo "measure-tlb: book/measured/tlb.json"
