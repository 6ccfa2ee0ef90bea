# exercises/exercises.mk: starting, grading and handing out the exercises
# (included by the Makefile; the format is in exercises/FORMAT.md).
EXERCISES := $(patsubst exercises/%/exercise.conf,%,$(sort $(wildcard exercises/*/exercise.conf)))
ex_stage   = $(shell sed -n 's/^stage[[:space:]]*\([0-9]\).*/\1/p' exercises/$(1)/exercise.conf)
EX        ?=
SOLUTION  ?=
FRESH     ?=
JOBS      ?= 2
SUBMISSIONS ?=
ex_usage   = $(if $(strip $(EX)),,echo "usage: make $(1) EX=ID   (exercises: $(EXERCISES))" >&2; exit 2)

##@ Exercises and grading
.PHONY: ex-base start grade run gdb handout regrade grade-check

ex-base: deps-tangle   ## the stages' plain sources (no #line) in build/plain/ (what starter patches apply to)
	@$(PYTHON) tools/tangle.py --plain --out build/plain --stages $(subst $(eval) ,$(comma),$(STAGES)) >/dev/null

start: deps-tangle   ## make start EX=ID: your copy of exercise ID in exercises/ID/src (kept if it exists; FRESH=1 replaces it)
	@$(call ex_usage,start)
	@$(PYTHON) tools/grade.py start $(if $(strip $(FRESH)),--fresh) $(EX)

grade: deps-boot deps-tangle   ## grade every exercise's src/ (EX=ID for one; SOLUTION=1 grades the solution; TIMEOUT=s)
	@$(PYTHON) tools/grade.py grade --timeout $(strip $(TIMEOUT)) --jobs $(strip $(JOBS)) $(if $(strip $(SOLUTION)),--solution) $(EX)

run: deps-boot deps-tangle   ## make run EX=ID [TEST=name]: boot exercise ID's graded kernel here (Ctrl-A X quits)
	@$(call ex_usage,run)
	@$(PYTHON) tools/grade.py run $(EX) --mem $(strip $(MEM)) $(if $(strip $(TEST)),--test $(strip $(TEST)))

gdb: deps-gdb deps-tangle   ## make gdb EX=ID [TEST=name]: the same kernel under gdb, stopped at kmain
	@$(call ex_usage,gdb)
	@$(PYTHON) tools/grade.py run --gdb $(EX) --mem $(strip $(MEM)) $(if $(strip $(TEST)),--test $(strip $(TEST)))

handout: deps-tangle   ## build/sarrus-handout.tar.gz: the project for students (no solutions, every exercise's src/)
	@$(PYTHON) tools/grade.py handout $(if $(strip $(DEST)),$(DEST))

regrade: deps-boot deps-tangle   ## (instructors) make regrade SUBMISSIONS=dir: grade every tarball/git repo in dir into build/gradebook.csv
	@$(if $(strip $(SUBMISSIONS)),,echo "usage: make regrade SUBMISSIONS=DIR [EX='ID ...'] (a folder of tarballs or git repositories)" >&2; exit 2)
	@$(PYTHON) tools/grade.py regrade $(SUBMISSIONS) --timeout $(strip $(TIMEOUT)) --jobs $(strip $(JOBS)) $(if $(strip $(EX)),--ex $(EX))

grade-check: deps-boot deps-tangle   ## check the exercises: starting points build, boot and score 0; solutions score full marks
	@$(PYTHON) tools/grade.py check
