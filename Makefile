# xiezhi — one GNU Makefile for the sensor, its tools and its tests.
# Sources are found by folder, so a new keyword, detector or exporter is a new
# .c file and nothing here changes. Objects and binaries live under build/.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build

CC         ?= cc
PKGS       := libndpi libpcap hiredis libmaxminddb yaml-0.1 libpcre2-8 htp libcrypto libnghttp2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN       := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wpointer-arith \
              -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wcast-align \
              -Wnull-dereference -Wimplicit-fallthrough
OPT        ?= -O2 -g
CFLAGS     ?= $(OPT)
DATADIR    ?= $(PREFIX)/share/xiezhi
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DXIEZHI_VERSION='"$(VERSION)"' -DXIEZHI_DATADIR='"$(DATADIR)"' \
              $(WARN) $(CFLAGS) -I. -Isensor $(PKG_CFLAGS) -MMD -MP
LDLIBS     := $(PKG_LIBS) -lcap-ng -lpthread -lm

# Everything under sensor/ and exporters/ except main.c forms the library
# that the binary, the tools, the unit tests and the fuzzers link against.
LIB_SRCS   := $(sort $(shell find sensor exporters -name '*.c' ! -path sensor/main.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libxiezhi.a
MAIN_OBJ   := $(BUILD)/sensor/main.o
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
TOOLS      := $(TOOL_SRCS:tools/%.c=$(BUILD)/%)
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# Quiet by default; `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

.PHONY: all deps test unit check-regress demo run asan lint install clean \
        pcaps geoip bench fuzz fuzz-smoke keywords-doc deb package-test

all: $(BUILD)/xiezhi $(TOOLS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/xiezhi: $(MAIN_OBJ) $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(LIB) $(LDLIBS) -lcmocka

deps:
	@tools/deps.sh

# make test: install what is missing, build, then run every suite.  The last
# line printed is the summary "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh

unit: all $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh unit

pcaps:
	python3 pcaps/generate.py pcaps

geoip: deps
	@tools/geoip-install.sh

demo run: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh

# The whole test run again, built with AddressSanitizer and UBSan in a
# separate build directory so the two builds never mix objects.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  all $(UNIT_BINS:$(BUILD)/%=build-asan/%)
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

lint:
	@tools/lint.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

# libFuzzer targets: tests/fuzz/run.sh builds them with
#   make BUILD=build-fuzz CC=clang CFLAGS='-O1 -g -fsanitize=fuzzer-no-link,address,undefined'
# (the library instrumented for coverage, the target linked with libFuzzer).
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

fuzz: deps
	@tests/fuzz/run.sh $${FUZZ_SECONDS:-600}

fuzz-smoke:
	@tests/fuzz/run.sh $${FUZZ_SECONDS:-30}

# The example config points rules.dir at the installed pack, so it works
# from any directory; tools that are test helpers are not installed.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/xiezhi/rules/datasets \
	  $(DESTDIR)$(PREFIX)/share/doc/xiezhi $(DESTDIR)/etc/xiezhi
	install -m 0755 $(BUILD)/xiezhi $(BUILD)/xiezhi-alerts $(BUILD)/xiezhi-geoip $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 rules/*.rules rules/*.config $(DESTDIR)$(PREFIX)/share/xiezhi/rules/
	install -m 0644 rules/datasets/* $(DESTDIR)$(PREFIX)/share/xiezhi/rules/datasets/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/xiezhi/
	sed 's|^  dir: \.\./rules |  dir: $(DATADIR)/rules |' etc/xiezhi.yaml \
	  > $(DESTDIR)/etc/xiezhi/xiezhi.yaml.example
	chmod 0644 $(DESTDIR)/etc/xiezhi/xiezhi.yaml.example
	install -d $(DESTDIR)/lib/systemd/system
	sed 's|/usr/local|$(PREFIX)|g' etc/xiezhi.service > $(DESTDIR)/lib/systemd/system/xiezhi.service

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# docs/rules.md's keyword list, regenerated from the keyword table (the
# description column of sensor/detect/keywords.c); test_keywords_doc.sh
# fails when the two drift apart.
keywords-doc: $(BUILD)/xiezhi
	@tools/keywords-doc.sh $(BUILD)/xiezhi docs/rules.md

# The Debian package (dpkg-deb; tools/make-deb.sh, packaging/) and its
# install/purge test in a throwaway root (also run by make test).
deb: deps
	@tools/make-deb.sh $(VERSION)

package-test: deps
	@bash tests/integration/test_package.sh
