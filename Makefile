# licd — see README.md. `make help` lists the targets.
GO        ?= go
BIN       ?= bin
DATA      ?= licd-data
GOFLAGS   ?=
UTILITIES := lmstat lmdiag lmdown lmhostid lmreread lmver lmcksum udadmin lmusers lmservice CtxManageUserAndGroup ctx_license_management_service

.PHONY: help build run test bench fuzz loadtest vet clean install

PREFIX    ?= /usr/local
DESTDIR   ?=

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build licd, lmutil (and its utility links), licgen and licbench into bin/
	@mkdir -p $(BIN)
	$(GO) build $(GOFLAGS) -o $(BIN)/ ./cmd/...
	@for u in $(UTILITIES); do ln -sf lmutil $(BIN)/$$u; done

run: build ## start licd on embedded defaults (data in ./licd-data)
	$(BIN)/licd -data $(DATA)

vet: ## go vet every package
	$(GO) vet ./...

test: vet ## every test (unit, end-to-end against real licd processes, licbench smoke), then all of them again under the race detector
	$(GO) test -count=1 -timeout 9m ./...
	$(GO) test -race -count=1 -timeout 9m ./...

bench: ## Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

fuzz: ## short fuzz runs of every fuzz target
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-20s} $$pkg; \
	  done; done

loadtest: build ## the full licbench scenarios (minutes; not part of CI)
	$(BIN)/licbench -scenario all

install: build ## install the binaries, the utility links, the systemd unit and (if absent) /etc/licd/licd.toml; DESTDIR and PREFIX as usual
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/licd $(DESTDIR)$(PREFIX)/share/doc/licd
	install -m 0755 $(BIN)/licd $(BIN)/lmutil $(BIN)/licgen $(DESTDIR)$(PREFIX)/bin/
	@for u in $(UTILITIES); do ln -sf lmutil $(DESTDIR)$(PREFIX)/bin/$$u; done
	sed 's|/usr/local|$(PREFIX)|g' cmd/licd/deploy/licd.service > $(DESTDIR)/etc/systemd/system/licd.service
	@test -e $(DESTDIR)/etc/licd/licd.toml || install -m 0644 cmd/licd/deploy/licd.toml $(DESTDIR)/etc/licd/licd.toml
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/licd/

clean: ## remove build output
	rm -rf $(BIN)
