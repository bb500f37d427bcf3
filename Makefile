# Curfew — build, run and test.
#
#   make run         set up, start PostgreSQL if needed, migrate, seed the demo, serve
#   make test        every test (unit, PostgreSQL integration, browser); .ci/run calls this
#   make generate    regenerate templ views, CSS and vendored JS (commit the results)
#
# PostgreSQL comes from scripts/pg.sh: $DATABASE_URL if set, else a server on
# 127.0.0.1:5432, else a private cluster in .data/ (stop it with `make clean-data`).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# Steps depend on each other (generate needs node_modules from setup, ...).
.NOTPARALLEL:
MAKEFLAGS += --no-builtin-rules

# Go's usual home; harmless if go is already on PATH.
export PATH := $(PATH):/usr/local/go/bin
# Keep tailwind's browserslist from nagging about its data's age.
export BROWSERSLIST_IGNORE_OLD_DATA := 1

# Files `make generate` writes, all committed.
GENERATED_PATHS := views static e2e/testdata

# Shell snippet: a fingerprint (sha256 + path) of every file under GENERATED_PATHS.
FINGERPRINT = { for d in $(GENERATED_PATHS); do if [ -d "$$d" ]; then find "$$d" -type f -print0; fi; done; } \
	| LC_ALL=C sort -z | xargs -0 -r sha256sum

# Shell snippet: export CURFEW_TEST_DATABASE_URL, an admin URL from scripts/pg.sh.
# (An assignment, not `export X=$$(...)`, so that a pg.sh failure stops the recipe.)
TEST_DB = test_db_url="$$(bash scripts/pg.sh)"; export CURFEW_TEST_DATABASE_URL="$$test_db_url"

.PHONY: help setup generate check-generated build run test bench screenshots fmt clean clean-data

help:
	@echo "Targets:"
	@echo "  make setup            install what is missing (chromium, npm packages)"
	@echo "  make generate         templ views, Tailwind CSS, vendored htmx and axe-core"
	@echo "  make check-generated  fail if generated files are out of date"
	@echo "  make build            build bin/curfew"
	@echo "  make run              PostgreSQL + migrate + demo seed + serve (dev mode)"
	@echo "  make test             go vet and every test"
	@echo "  make bench            benchmarks (scripts/bench.sh)"
	@echo "  make screenshots      browser screenshots into docs/img"
	@echo "  make fmt              format Go and templ sources"
	@echo "  make clean            remove bin/"
	@echo "  make clean-data       stop the private PostgreSQL and remove .data/"

setup:
	@bash scripts/setup.sh

generate:
	go tool templ generate -log-level warn
	npx --no -- tailwindcss -c tailwind.config.js -i static/src/app.css -o static/css/app.css --minify
	mkdir -p static/js e2e/testdata
	cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js
	cp node_modules/axe-core/axe.min.js e2e/testdata/axe.min.js

# Fails if `make generate` changes any file, i.e. the committed output does not
# match its sources. In CI (CI set) it also fails on any uncommitted change in
# $(GENERATED_PATHS), which catches generated files that were never committed.
check-generated:
	@before="$$(mktemp)"; after="$$(mktemp)"; trap 'rm -f "$$before" "$$after"' EXIT; \
	$(FINGERPRINT) >"$$before"; \
	$(MAKE) --no-print-directory generate; \
	$(FINGERPRINT) >"$$after"; \
	if ! cmp -s "$$before" "$$after"; then \
		echo "check-generated: 'make generate' changed these files:" >&2; \
		diff "$$before" "$$after" | sed -n 's/^[<>] [0-9a-f]*  /  /p' | LC_ALL=C sort -u >&2 || true; \
		echo "check-generated: the generated files were out of date; review and commit them." >&2; \
		exit 1; \
	fi; \
	if [ -n "$${CI:-}" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		dirty="$$(git status --porcelain --untracked-files=all -- $(GENERATED_PATHS))"; \
		if [ -n "$$dirty" ]; then \
			echo "check-generated: these files differ from the commit after 'make generate':" >&2; \
			echo "$$dirty" | sed 's/^/  /' >&2; \
			echo "check-generated: run 'make generate' and commit the results." >&2; \
			exit 1; \
		fi; \
	fi; \
	echo "check-generated: generated files are up to date"

build:
	go build -o bin/curfew ./cmd/curfew

run: setup
	@$(MAKE) --no-print-directory build
	@mkdir -p .data; \
	db_url="$$(bash scripts/pg.sh ensure-db curfew)"; export DATABASE_URL="$$db_url"; \
	if [ -z "$${CURFEW_SESSION_KEYS:-}" ]; then \
		if [ ! -s .data/session.key ]; then \
			(umask 077; head -c 32 /dev/urandom | base64 >.data/session.key); \
			echo "run: created a development session key in .data/session.key"; \
		fi; \
		keys="$$(cat .data/session.key)"; export CURFEW_SESSION_KEYS="$$keys"; \
	fi; \
	export CURFEW_ENV=dev; \
	./bin/curfew migrate; \
	./bin/curfew seed --demo; \
	addr="$${CURFEW_ADDR:-127.0.0.1:8080}"; \
	case "$$addr" in :*) addr="127.0.0.1$$addr" ;; esac; \
	echo; \
	echo "  Curfew: http://$$addr"; \
	echo; \
	echo "  Demo sign-ins:"; \
	echo "    owner@acme.test     / acme-owner-pass     (Acme, owner)"; \
	echo "    engineer@acme.test  / acme-engineer-pass  (Acme, engineer)"; \
	echo "    owner@globex.test   / globex-owner-pass   (Globex, owner)"; \
	echo; \
	exec ./bin/curfew serve

test: setup check-generated
	@started=$$(date +%s); \
	echo "==> gofmt -l"; \
	unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))"; \
	if [ -n "$$unformatted" ]; then \
		echo "$$unformatted" | sed 's/^/    /'; \
		echo; echo "==> summary: FAILED at gofmt (run make fmt and commit)"; exit 1; \
	fi; \
	echo "==> go vet ./..."; \
	if ! go vet ./...; then \
		echo; echo "==> summary: FAILED at go vet"; exit 1; \
	fi; \
	$(TEST_DB); \
	echo "==> go test -count=1 -p 2 -timeout 20m ./...  (test server: $$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$$CURFEW_TEST_DATABASE_URL"))"; \
	log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
	status=0; go test -count=1 -p 2 -timeout 20m ./... 2>&1 | tee "$$log" || status=$$?; \
	passed=$$(grep -cE '^ok[[:space:]]' "$$log" || true); \
	failed=$$(grep -E '^FAIL[[:space:]]+[^[:space:]]' "$$log" | awk '{print $$2}' | LC_ALL=C sort -u || true); \
	nfailed=$$(grep -c . <<<"$$failed" || true); \
	notests=$$(grep -cE '^\?[[:space:]].*\[no test files\]' "$$log" || true); \
	echo; \
	echo "==> summary: go vet ok; go test: $$passed packages passed, $$nfailed failed, $$notests without tests ($$(( $$(date +%s) - started ))s)"; \
	if [ -n "$$failed" ]; then echo "$$failed" | sed 's/^/    FAIL /'; fi; \
	if [ "$$status" -ne 0 ]; then echo "==> FAILED (go test exit status $$status)"; exit "$$status"; fi; \
	echo "==> PASSED"

bench:
	@if [ ! -f scripts/bench.sh ]; then echo "bench: scripts/bench.sh does not exist yet" >&2; exit 1; fi
	@bash scripts/setup.sh bench
	bash scripts/bench.sh

screenshots: setup
	@mkdir -p docs/img; \
	$(TEST_DB); \
	export CURFEW_SCREENSHOTS="$(CURDIR)/docs/img"; \
	echo "==> go test -count=1 -run Screenshot ./e2e/  (into $$CURFEW_SCREENSHOTS)"; \
	go test -count=1 -run Screenshot ./e2e/

fmt:
	go fmt ./...
	go tool templ fmt views

clean:
	rm -rf bin/

clean-data:
	@if [ -d .data ]; then bash scripts/pg.sh stop; fi
	rm -rf .data/
