# Loket: `make run` starts everything, `make test` runs the whole test suite.
# Both set up the two Python environments first (scripts/bootstrap; idempotent).

HUB := .venvs/hub/bin
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test setup train eval lint format audit bench clean

run: setup  ## train if needed, start the brain and the hub; Ctrl-C stops all (VERBOSE=1: everything)
	$(HUB)/loket run $(if $(VERBOSE),--verbose)

# Two workers: the tests of the real Rasa and action server run in turn on one (they
# share those processes), the others beside them (tests/conftest.py schedules them).
TEST_WORKERS ?= 2

test: setup  ## the whole suite, on TEST_WORKERS workers (make test TEST_WORKERS=0: one process)
	$(HUB)/python -m pytest -n $(TEST_WORKERS)

setup:
	@scripts/bootstrap

train: setup  ## train the Rasa model if its inputs changed
	$(HUB)/loket train

eval: setup  ## held-out NLU test per language (trains if needed); writes docs/nlu-report.md
	$(HUB)/python -m nlu.evaluate

lint: setup
	$(HUB)/ruff check . && $(HUB)/ruff format --check .

format: setup
	$(HUB)/ruff check --fix . && $(HUB)/ruff format .

audit: setup  ## both lock files against the OSV vulnerability database; fails on a fixable one
	$(HUB)/python -m tools.audit $(AUDIT_OPTIONS)

bench: setup  ## hub vs Rasa alone, phone calls, config.yml vs Rasa's default, one hub vs two; writes docs/benchmarks.md
	$(HUB)/python -m benchmarks.web_chat
	$(HUB)/python -m benchmarks.phone
	$(HUB)/python -m benchmarks.dialogue_config
	$(HUB)/python -m benchmarks.handoff
	$(HUB)/python -m benchmarks.messaging
	$(HUB)/python -m benchmarks.replicas

clean:  ## remove environments, models and local data
	rm -rf .venvs models var
