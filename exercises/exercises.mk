# exercises/exercises.mk: starting, grading and handing out the exercises
# (included by the Makefile; the format is in exercises/FORMAT.md).
EXERCISES := $(patsubst exercises/%/exercise.conf,%,$(sort $(wildcard exercises/*/exercise.conf)))
ex_stage   = $(shell sed -n 's/^stage[[:space:]]*\([0-9]\).*/\1/p' exercises/$(1)/exercise.conf)
EX        ?=
SOLUTION  ?=

##@ Exercises and grading
.PHONY: ex-base start grade handout grade-check

ex-base: deps-tangle   ## the stages' plain sources (no #line) in build/plain/ (what starter patches apply to)
	@$(PYTHON) tools/tangle.py --plain --out build/plain --stages $(subst $(eval) ,$(comma),$(STAGES)) >/dev/null

start: deps-tangle   ## make start EX=ID: your copy of exercise ID in exercises/ID/src (the stage's code, part missing)
	@$(if $(strip $(EX)),,echo "usage: make start EX=ID   (exercises: $(EXERCISES))" >&2; exit 2)
	@$(PYTHON) tools/grade.py start $(EX)

grade: deps-boot deps-tangle   ## grade every exercise's src/ (EX=ID for one; SOLUTION=1 grades the solution; TIMEOUT=s)
	@$(PYTHON) tools/grade.py grade --timeout $(strip $(TIMEOUT)) $(if $(strip $(SOLUTION)),--solution) $(EX)

handout: deps-tangle   ## build/handout/: the project for students, without solutions, with every exercise's src/
	@$(PYTHON) tools/grade.py handout build/handout

grade-check: deps-boot deps-tangle   ## check the exercises: starting points build, boot and score 0; solutions score full marks
	@$(PYTHON) tools/grade.py check
