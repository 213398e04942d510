# gapmap — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
DATABASE_URL ?= postgres://postgres:gapmap@127.0.0.1:5432/gapmap?sslmode=disable
export DATABASE_URL
GO ?= go
BIN := bin/gapmap
DEMO_DIR ?= var/demo
# ADDR: 127.0.0.1:8080 serves this machine only; make demo ADDR=:8080 listens on every interface
ADDR ?= 127.0.0.1:8080
# FUZZTIME: a count of runs per target, not a duration: a duration races the fuzz
# coordinator's deadline on a busy machine (golang/go#75804, fixed in Go 1.27)
FUZZTIME ?= 5000x
DEMO_PASSWORD ?= gapmap-demo-2026
export DEMO_PASSWORD

.PHONY: all setup web build test vet unit fuzz demo demo-data serve bench clean

all: build

## setup: install PostgreSQL + PostGIS + PROJ + GDAL if missing, start PostgreSQL, create the database
setup:
	@./scripts/setup.sh

## web: the web app (npm ci on the committed lock file, esbuild) into web/dist, embedded by build
web:
	cd web && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

build: web
	$(GO) build -o $(BIN) ./cmd/gapmap

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

## fuzz: a short run of each fuzz target of the file readers
fuzz:
	@for f in $$($(GO) test -list '^Fuzz' ./data/format/ | grep '^Fuzz'); do \
		echo "fuzz $$f ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) ./data/format/ || exit 1; \
	done

## test: everything CI runs, from a fresh Debian machine
test: setup web vet unit fuzz

## demo: database up, sample province generated, imported, analysed, served on 127.0.0.1:8080 (ADDR=:8080: all interfaces)
demo: setup build
	$(BIN) migrate
	$(BIN) gen --seed 1 --out $(DEMO_DIR)
	$(BIN) import --replace $(DEMO_DIR)
	$(BIN) analyze
	$(BIN) allocate --out $(DEMO_DIR)/allocation
	./scripts/demo-users.sh $(BIN) 99
	$(BIN) serve --addr $(ADDR)

bench: setup build
	$(BIN) bench import
	$(BIN) bench coverage
	$(BIN) bench allocation

clean:
	rm -rf bin var
