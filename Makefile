# crm — plain make.  See README.md.

VERSION = 0.1.0

PREFIX     = /usr/local
BINDIR     = $(PREFIX)/bin
MANDIR     = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
DESTDIR    =

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wno-unused-parameter
PKGS     = sqlite3 libcjson libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CSV_LIBS = -lcsv

ifeq ($(SANITIZE),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD    = build-san
else
SANFLAGS =
BUILD    = build
endif

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DCRM_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) $(SANFLAGS) -pthread -Ilib $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) $(CSV_LIBS) -lm -pthread

LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
CMD_SRC  = cmd/crm.c $(wildcard cmd/crm-*.c)
CMDS     = $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
CLI_OBJ  = $(BUILD)/cmd/cli.o
UNIT_SRC = $(wildcard tests/unit/*_test.c)
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HDRS     = $(wildcard lib/*.h)
MAN1     = $(wildcard man/*.1)
MAN5     = $(wildcard man/*.5)
MAN7     = $(wildcard man/*.7)

all: $(BUILD)/lib/libcrm.a $(CMDS) $(UNITS)

$(BUILD)/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/lib/libcrm.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(CLI_OBJ): cmd/cli.c cmd/cli.h $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ cmd/cli.c

# crm-NOUN is cmd/crm-NOUN.c with its verbs kept in cmd/NOUN_*.c, if any.
.SECONDEXPANSION:
$(BUILD)/bin/crm-%: cmd/crm-%.c $$(wildcard cmd/$$*_*.c) $(CLI_OBJ) \
		$(BUILD)/lib/libcrm.a $(HDRS) $(wildcard cmd/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Icmd -o $@ $< $(wildcard cmd/$*_*.c) $(CLI_OBJ) \
		$(BUILD)/lib/libcrm.a $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/bin/crm: cmd/crm.c $(BUILD)/lib/libcrm.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/lib/libcrm.a $(ALL_LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/lib/libcrm.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/lib/libcrm.a $(ALL_LDFLAGS) $(LIBS)

# Build outputs also under bin/ for the README's examples and the tests.
bin: all
	@mkdir -p bin
	@for c in $(CMDS); do ln -sf ../$$c bin/; done

check: all
	CRM_BUILD=$(BUILD) sh tests/run.sh

# The end-to-end tests with every command run under valgrind memcheck:
# $(BUILD)/valgrind holds bin/ (one wrapper per command) and tests/ (the
# real unit tests), so tests/lib.sh puts the wrappers first on PATH.
# Slow: TESTS="tests/0100-db.t ..." runs only those.
VALGRIND = valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --track-fds=no -q \
	--child-silent-after-fork=yes \
	--suppressions=$(CURDIR)/tests/valgrind.supp
VG_DIR   = $(BUILD)/valgrind

check-valgrind: all
	@rm -rf $(VG_DIR) && mkdir -p $(VG_DIR)/bin
	@ln -s "$(abspath $(BUILD))/tests" $(VG_DIR)/tests
	@for c in $(abspath $(CMDS)); do n=$${c##*/}; \
		printf '#!/bin/sh\nexec %s %s "$$@"\n' '$(VALGRIND)' \
			"$$c" >$(VG_DIR)/bin/$$n; \
		chmod +x $(VG_DIR)/bin/$$n; done
	CRM_BUILD=$(VG_DIR) CRM_VALGRIND=1 sh tests/run.sh $(TESTS)

lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)
	shellcheck -s sh -e SC1091 tests/lib.sh tests/run.sh tests/*.t tests/demo.sh
	shellcheck -s bash completions/crm.bash

demo: all
	CRM_BUILD=$(BUILD) sh tests/demo.sh

bench: all
	CRM_BUILD=$(BUILD) sh bench/run.sh

bench-deals: all
	CRM_BUILD=$(BUILD) sh bench/deals.sh

bench-segments: all
	CRM_BUILD=$(BUILD) sh bench/segments.sh

bench-campaign: all
	CRM_BUILD=$(BUILD) sh bench/campaign.sh

bench-report: all
	CRM_BUILD=$(BUILD) sh bench/report.sh

deps:
	@if command -v apt-get >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		pkgs="build-essential pkg-config clang libsqlite3-dev libcsv-dev libcjson-dev libcurl4-openssl-dev sqlite3 jq mandoc shellcheck perl zsh fish valgrind sqlite-utils time python3-aiosmtpd postfix"; \
		if dpkg-query -W -f='$${Status}\n' $$pkgs 2>/dev/null | grep -vq 'install ok installed' || \
		   [ "$$(dpkg-query -W -f='$${Status}\n' $$pkgs 2>/dev/null | wc -l)" -ne "$$(echo $$pkgs | wc -w)" ]; then \
			echo 'postfix postfix/main_mailer_type select No configuration' | \
			    $$SUDO debconf-set-selections 2>/dev/null; \
			$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs; \
		else echo "deps: all packages present"; fi; \
	else \
		echo "deps: install a C11 compiler, pkg-config, and the development files of"; \
		echo "deps: SQLite 3, libcsv, cJSON and libcurl; for the tests: sqlite3, jq, mandoc, perl"; \
	fi

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	for c in $(CMDS); do install -m 755 $$c $(DESTDIR)$(BINDIR)/; done
	for m in $(MAN1); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in $(MAN5); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man5/; done
	for m in $(MAN7); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/; done
	install -m 644 completions/crm.bash $(DESTDIR)$(BASHCOMPDIR)/crm
	for c in $(CMDS); do n=$${c##*/}; [ $$n = crm ] || ln -sf crm $(DESTDIR)$(BASHCOMPDIR)/$$n; done
	install -m 644 completions/_crm $(DESTDIR)$(ZSHCOMPDIR)/_crm
	install -m 644 completions/crm.fish $(DESTDIR)$(FISHCOMPDIR)/crm.fish

uninstall:
	for c in $(CMDS); do n=$${c##*/}; rm -f $(DESTDIR)$(BINDIR)/$$n $(DESTDIR)$(BASHCOMPDIR)/$$n; done
	for m in $(MAN1); do rm -f $(DESTDIR)$(MANDIR)/man1/$${m##*/}; done
	for m in $(MAN5); do rm -f $(DESTDIR)$(MANDIR)/man5/$${m##*/}; done
	for m in $(MAN7); do rm -f $(DESTDIR)$(MANDIR)/man7/$${m##*/}; done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/crm $(DESTDIR)$(ZSHCOMPDIR)/_crm $(DESTDIR)$(FISHCOMPDIR)/crm.fish

# libFuzzer harnesses (tests/fuzz/): built with clang into build-fuzz/,
# each run FUZZ_SECONDS; `make fuzz FUZZ=csv` runs one.  make check runs
# them 3 s each (tests/9100-fuzz.t).
FUZZ_SECONDS = 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ)

clean:
	rm -rf build build-san build-fuzz bin

.PHONY: all bin check check-valgrind lint demo bench bench-deals bench-segments bench-campaign bench-report deps install uninstall clean fuzz
.SECONDARY:
