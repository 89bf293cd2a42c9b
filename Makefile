# mmsim - top-level build. `make` builds bin/mmsim; see README.md for every target.
#
# Sources are found by folder: every .c in traces/, model/, analysis/ and capture/ goes into
# the library build/libmmsim.a; mmsim.c holds the verb table. A folder may add its own rules
# in a file named build.mk (capture/build.mk builds the Valgrind tool).

PREFIX ?= /usr/local
CC ?= cc
CLANG ?= clang
OPT ?= -O2
CFLAGS_BASE = -std=c11 -g $(OPT) -Wall -Wextra -Werror -D_GNU_SOURCE -I. -pthread
CFLAGS += $(CFLAGS_BASE)
LDLIBS = -lzstd -llzma -lzip -lz -linih -lpfm -lZydis -lm -pthread
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRCS := $(sort $(wildcard common/*.c traces/*.c model/*.c analysis/*.c capture/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=build/obj/%.o)
ASAN_OBJS := $(LIB_SRCS:%.c=build/asan/%.o)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build/fuzzobj/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests-asan/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
PROG_SRCS := $(sort $(wildcard tests/progs/*.c))
PROG_BINS := $(PROG_SRCS:tests/progs/%.c=build/progs/%)
HDRS := $(wildcard */*.h *.h)

DEPS_PKGS = libzstd-dev libpfm4-dev libzydis-dev libinih-dev libcmocka-dev liblzma-dev libzip-dev zlib1g-dev python3-numpy \
            gnuplot-nox valgrind pkg-config clang libclang-rt-dev zstd xz-utils time bc parallel
# What tests/e2e/cluster.sh needs: a single-node Slurm cluster and an ssh server for GNU
# parallel. Installed by `make test` without recommends (openssh-server's pull in systemd).
TEST_PKGS = slurmctld slurmd slurm-client munge openssh-server
# The everyday programs `make validate` holds the model against (tests/validate/everyday.sh).
VALIDATE_PKGS = python3 perl coreutils bzip2 gzip sqlite3 git nodejs gcc

.PHONY: all deps test-deps build test demo bench bench-ab validate validate-thrash install clean unit asan fuzz progs docs-stats
all: deps
	@$(MAKE) --no-print-directory build

# The folders' build.mk files are read here, before `build`, so that what they add to
# EXTRA_BUILD is in the list when make expands the rule's prerequisites.
-include $(wildcard */build.mk)

build: bin/mmsim progs $(EXTRA_BUILD)

# Installs the Debian packages the project needs, only those that are missing.
deps:
	@missing=""; for p in $(DEPS_PKGS) $(EXTRA_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_FLAGS) $$missing >/dev/null || \
	    { echo "make deps: apt-get failed for:$$missing" >&2; exit 1; }; \
	fi

test-deps:
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(TEST_PKGS)" APT_FLAGS=--no-install-recommends

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

build/libmmsim.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

bin/mmsim: mmsim.c build/libmmsim.a $(HDRS)
	@mkdir -p bin
	$(CC) $(CFLAGS) mmsim.c build/libmmsim.a $(LDLIBS) -o $@

# ---- tests ----
build/tests/%: tests/unit/%.c build/libmmsim.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< build/libmmsim.a -lcmocka $(LDLIBS) -o $@

build/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -O1 $(SAN) -c $< -o $@

build/libmmsim-asan.a: $(ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

build/tests-asan/%: tests/unit/%.c build/libmmsim-asan.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -O1 $(SAN) $< build/libmmsim-asan.a -lcmocka $(LDLIBS) -o $@

# libFuzzer targets: clang, with the library rebuilt under the fuzzer's instrumentation.
build/fuzzobj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(CFLAGS_BASE) -O1 -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/libmmsim-fuzz.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/libmmsim-fuzz.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(CFLAGS_BASE) -O1 -fsanitize=fuzzer,address,undefined $< build/libmmsim-fuzz.a $(LDLIBS) -o $@

# Small programs the tests and the demo record.
build/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -pthread $< -o $@ -lm

progs: $(PROG_BINS)
unit: $(UNIT_BINS)
asan: $(ASAN_BINS)
fuzz: $(FUZZ_BINS)

# `make test`: everything, one summary line, non-zero exit on any failure.
test: deps
	@$(MAKE) --no-print-directory test-deps
	@$(MAKE) --no-print-directory build unit asan fuzz
	@tests/run.sh

# docs/replay.md's table of statistics, generated from the registry (model/statreg.h);
# tests/e2e/stats_schema.sh fails when the two differ.
docs-stats: build
	@bin/mmsim stats-schema configs/default.ini >build/stats-schema.md
	@awk 'FNR == NR { t = t $$0 "\n"; next } /^<!-- stats-schema end/ { printf "%s", t; skip = 0 } \
	      !skip { print } /^<!-- stats-schema begin/ { skip = 1 }' build/stats-schema.md docs/replay.md >build/replay.md
	@mv build/replay.md docs/replay.md

demo: deps
	@$(MAKE) --no-print-directory build
	@tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory build
	@tests/bench.sh

# Replay speed of this tree against revision BASE, interleaved in one run (tests/bench/ab.sh).
bench-ab: deps
	@$(MAKE) --no-print-directory build
	@bash tests/bench/ab.sh $(or $(BASE),HEAD~1)

validate:
	@$(MAKE) --no-print-directory deps EXTRA_PKGS="$(VALIDATE_PKGS)"
	@$(MAKE) --no-print-directory build
	@tests/validate.sh

# The thrashing knee of the kernel against the model's (root: a temporary swap file and a
# memory cgroup; skipped with a message otherwise). See docs/memory-pressure.md.
validate-thrash: deps
	@$(MAKE) --no-print-directory build
	@bash tests/validate/thrash.sh

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mmsim/configs $(DESTDIR)$(PREFIX)/share/doc/mmsim
	install -m 755 bin/mmsim $(DESTDIR)$(PREFIX)/bin/mmsim
	cp -r configs/. $(DESTDIR)$(PREFIX)/share/mmsim/configs/
	cp -r README.md docs/. traces/FORMAT.md $(DESTDIR)$(PREFIX)/share/doc/mmsim/
	$(INSTALL_EXTRA)

clean:
	rm -rf build bin
