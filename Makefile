# mprof — one flat Makefile.
#   make              build bin/mprof and lib/mprof/libmprof.so under build/
#   make demo         install what is missing, build, profile examples/, plot
#   make check        install what is missing, build, run unit + integration tests
#   make check SANITIZE=1   the same with the CLI and unit tests under ASan/UBSan
#   make check-pythons      the Python integration tests under every CPython here: pyenv's
#                     3.10-3.13 and, in a Debian sid tree (built when absent, needs
#                     root), 3.13-3.15
#   make check-valgrind     the file-reading CLI tests with the CLI under valgrind
#   make check-long   the stress suite (tests/long/): threads x fork x exec, signals,
#                     dlopen, spawn, C++/Rust/jemalloc programs, and CPython's own
#                     regression tests under mprof against bare (CPYTHON_TESTS=all: all)
#   make bench        overhead against the bare run and memory_profiler, per CPython version
#   make fuzz         the fuzz targets of tests/fuzz/ (libFuzzer, clang), FUZZ_SECONDS each
#   make install PREFIX=/usr/local
# The build tree mirrors the install tree (bin/, lib/mprof/), so build/bin/mprof finds
# its library exactly as an installed one does: ../lib/mprof/libmprof.so.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
WARN    := -Wall -Wextra -Werror
CSTD    := -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
CPPFLAGS += -Iinclude

ifeq ($(SANITIZE),1)
# float-cast-overflow: gcc's "undefined" leaves out a double too big for its integer.
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
BUILD := $(BUILD)-san
endif

CLI_CFLAGS  := $(CSTD) $(WARN) $(OPT) $(SAN_FLAGS)
# The preload library never gets sanitizers: it is the allocator's front door.
LIB_CFLAGS  := $(CSTD) $(WARN) $(OPT) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
               -fno-stack-protector -pthread

CLI_SRC  := $(wildcard mprof/*.c)
CLI_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
CLI_LIB_OBJ := $(filter-out $(BUILD)/obj/mprof/main.o,$(CLI_OBJ))
# The library's layers, one folder each (DESIGN.md: lifecycle -> python -> core -> wire).
LIB_LAYERS := core wire python lifecycle
LIB_SRC  := $(foreach layer,$(LIB_LAYERS),$(wildcard preload/$(layer)/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
# The @profile plugin, one per CPython minor version: the same sources (preload/plugin/)
# built against each version's headers, plus that version's one small header of what
# differs (preload/plugin/cpython3X.h). libmprof.so loads it only inside a matching
# interpreter. The versions are those with a header; each is built where its
# python3.X-config is found: Debian's in /usr/bin, else PATH's, else pyenv's
# ($(PYENV_ROOT)/versions/*/bin), the first that answers; its interpreter is the
# python3.X beside it. A version without one is left out, and said so, never an error.
PYENV_ROOT ?= $(HOME)/.pyenv
PLUGIN_KNOWN_VERSIONS := $(sort $(patsubst preload/plugin/cpython3%.h,3.%,$(wildcard preload/plugin/cpython3[0-9]*.h)))
plugin_config_candidates = /usr/bin/python$(1)-config $(shell command -v python$(1)-config 2>/dev/null) \
    $(sort $(wildcard $(PYENV_ROOT)/versions/*/bin/python$(1)-config))
plugin_config = $(firstword $(foreach config,$(call plugin_config_candidates,$(1)),\
    $(if $(shell $(config) --includes 2>/dev/null),$(config))))
$(foreach version,$(PLUGIN_KNOWN_VERSIONS),$(eval PLUGIN_CONFIG_$(version) := $(strip $(call plugin_config,$(version)))))
PLUGIN_VERSIONS := $(strip $(foreach version,$(PLUGIN_KNOWN_VERSIONS),$(if $(PLUGIN_CONFIG_$(version)),$(version))))
PLUGIN_MISSING := $(filter-out $(PLUGIN_VERSIONS),$(PLUGIN_KNOWN_VERSIONS))
PLUGIN_SRC := $(wildcard preload/plugin/*.c)
# The glue's source, by job (the decorator; the builtin and the finders), joined into the
# one source the plugins embed.
PLUGIN_GLUE_PARTS := preload/plugin/glue.py preload/plugin/glue_builtin.py
PLUGIN_GLUE := $(BUILD)/obj/preload/plugin/glue.py
plugin_tag = $(subst .,,$(1))
PLUGIN_LIBS := $(foreach version,$(PLUGIN_VERSIONS),$(BUILD)/lib/mprof/libmprof-python$(call plugin_tag,$(version)).so)
# The plugin is dlopened, so its TLS is global-dynamic; on x86-64 the gnu2 dialect (TLS
# descriptors) makes each access a short indirect call instead of __tls_get_addr.
PLUGIN_TLS_DIALECT := $(if $(filter x86_64,$(shell uname -m)),-mtls-dialect=gnu2)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_MAIN_OBJ := $(BUILD)/obj/tests/unit/check_main.o $(BUILD)/obj/tests/unit/fixture.o
HELPER_SRC := $(wildcard tests/programs/*.c examples/*.c)
HELPER_BIN := $(patsubst %.c,$(BUILD)/%,$(HELPER_SRC))

MPROF_BIN := $(BUILD)/bin/mprof
MPROF_LIB := $(BUILD)/lib/mprof/libmprof.so
# The Python that programs import (the pytest plugin), beside the library that offers it
# to them: lib/mprof/python/, with the distribution's metadata (mprof.dist-info) that
# names it pytest's pytest11 entry point, for pytest to load under mprof run, and
# anywhere that directory is on sys.path.
PYTHON_DIR := $(BUILD)/lib/mprof/python
MPROF_VERSION := $(shell sed -n 's/^\#define MPROF_VERSION "\(.*\)"$$/\1/p' mprof/version.h)
# mprof's memory_profiler module (and its two halves) is there too, found first by the
# finder the plugin installs.
PYTHON_MODULES := pytest_mprof.py memory_profiler.py _memory_profiler_lines.py _memory_profiler_calls.py
PYTHON_FILES := $(addprefix $(PYTHON_DIR)/,$(PYTHON_MODULES)) $(PYTHON_DIR)/mprof.dist-info/METADATA \
    $(PYTHON_DIR)/mprof.dist-info/entry_points.txt
CHECK_FLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

.PHONY: all deps demo check check-pythons check-valgrind check-long long-programs structure unit integration bench install clean programs plugins fuzz
all: $(MPROF_BIN) $(MPROF_LIB) plugins programs $(PYTHON_FILES)

# One line on what this build gives @profile, and what it could not.
plugins: $(PLUGIN_LIBS)
	@echo "mprof: @profile plugins built for Python $(or $(PLUGIN_VERSIONS),none)$(if $(PLUGIN_MISSING),; no python3.X-config found for $(PLUGIN_MISSING) (@profile runs unprofiled there, no --lines))"

programs: $(HELPER_BIN)

$(PYTHON_DIR)/%.py: python/%.py
	@mkdir -p $(dir $@)
	cp $< $@

$(PYTHON_DIR)/mprof.dist-info/METADATA: mprof/main.c
	@mkdir -p $(dir $@)
	printf 'Metadata-Version: 2.1\nName: mprof\nVersion: %s\nSummary: %s\n' '$(MPROF_VERSION)' \
	    'limit_memory and limit_leaks for pytest, on the exact heap of mprof run' >$@

# The entry point's name is the module's, so that `-p pytest_mprof` and the entry point
# are one plugin to pytest (and `-p no:mprof` blocks both).
$(PYTHON_DIR)/mprof.dist-info/entry_points.txt:
	@mkdir -p $(dir $@)
	printf '[pytest11]\npytest_mprof = pytest_mprof\n' >$@

# The compiler writes each object's headers to a .d beside it (-MP: a header that
# goes away breaks no build); included at the end of this file.
$(BUILD)/obj/mprof/%.o: mprof/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

# -MMD: each object depends on the headers it includes, listed by the compiler.
$(LIB_OBJ): $(BUILD)/obj/preload/%.o: preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LIB_CFLAGS) -MMD -MP -c $< -o $@
-include $(LIB_OBJ:.o=.d)

$(MPROF_BIN): $(CLI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $^ -o $@ -lm

# The rules of one plugin. $(1): the minor version (3.11); $(2): its tag (311). The
# glue's code object is compiled once here by that same version (module.c embeds it
# beside the source). Py* symbols stay undefined in the library: the interpreter that
# dlopens the plugin provides them.
define plugin_rules
PY$(2)_CONFIG := $(PLUGIN_CONFIG_$(1))
PY$(2)_INCLUDES := $$(shell $$(PY$(2)_CONFIG) --includes 2>/dev/null)
PY$(2)_EXE := $$(dir $$(PY$(2)_CONFIG))python$(1)
PY$(2)_OBJ_DIR := $(BUILD)/obj/preload/plugin/python$(2)
PY$(2)_OBJ := $$(patsubst preload/plugin/%.c,$$(PY$(2)_OBJ_DIR)/%.o,$(PLUGIN_SRC))
PY$(2)_GLUE_CODE := $$(PY$(2)_OBJ_DIR)/glue.marshal

$$(PY$(2)_GLUE_CODE): $(PLUGIN_GLUE) scripts/compile-glue.py
	@mkdir -p $$(dir $$@)
	$$(PY$(2)_EXE) scripts/compile-glue.py $(1) $$< $$@

$$(PY$(2)_OBJ_DIR)/module.o: $(PLUGIN_GLUE) $$(PY$(2)_GLUE_CODE)

$$(PY$(2)_OBJ): $$(PY$(2)_OBJ_DIR)/%.o: preload/plugin/%.c preload/plugin/cpython$(2).h \
    $(wildcard preload/plugin/*.h preload/core/*.h include/mprof/*.h) preload/python/plugin_api.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(PY$(2)_INCLUDES) $$(LIB_CFLAGS) -ftls-model=global-dynamic $(PLUGIN_TLS_DIALECT) \
	    -DMPROF_CPYTHON_HEADER='"cpython$(2).h"' \
	    -DMPROF_GLUE_PATH='"$(PLUGIN_GLUE)"' \
	    -DMPROF_GLUE_CODE_PATH='"$$(PY$(2)_GLUE_CODE)"' -c $$< -o $$@

$(BUILD)/lib/mprof/libmprof-python$(2).so: $$(PY$(2)_OBJ)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LIB_CFLAGS) -shared $$^ -o $$@
endef
$(PLUGIN_GLUE): $(PLUGIN_GLUE_PARTS)
	@mkdir -p $(dir $@)
	cat $^ >$@

$(foreach version,$(PLUGIN_VERSIONS),$(eval $(call plugin_rules,$(version),$(call plugin_tag,$(version)))))

$(MPROF_LIB): $(LIB_OBJ) preload/libmprof.map
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -shared -Wl,--version-script=preload/libmprof.map \
	    -Wl,-z,now -Wl,-z,nodelete $(LIB_OBJ) -o $@ -ldl -pthread

# Test programs and C examples: plain programs, built without the sanitizers so that
# they can run under the preload library.
$(BUILD)/%: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -pthread $< -o $@ -lm

# Each unit test program: its test file, the shared main and temp-dir fixture, the CLI.
$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Improf $(CLI_CFLAGS) $(CHECK_FLAGS) -MMD -MP -c $< -o $@

$(UNIT_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_MAIN_OBJ) $(CLI_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $^ -o $@ $(CHECK_LIBS) -lm

deps:
	@bash scripts/install-deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh $(BUILD)

unit: $(UNIT_BIN)
	@status=0; for t in $(UNIT_BIN); do $$t || status=1; done; exit $$status

integration: all
	@bash tests/integration/run.sh $(BUILD)

# The house's shape (layers, circles, file sizes), read from the sources and objects.
structure: all
	@/usr/bin/python3 tests/structure/layers.py . $(BUILD)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory structure
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

# The CLI's integration tests with every subcommand but run under valgrind (memcheck:
# errors and definite leaks fail the test): the areas whose tests read, report, plot
# and check files.
VALGRIND_AREAS ?= files plot check errors
check-valgrind: all
	@MPROF_VALGRIND=1 MPROF_TEST_AREAS="$(VALGRIND_AREAS)" bash tests/integration/run.sh $(BUILD)

# Each interpreter's run ends on its own "N passed, N failed" line (tests/check-pythons.sh).
check-pythons: all
	@bash tests/check-pythons.sh $(BUILD)

# The stress suite's programs (tests/long/programs/), built into the build folder: the C
# ones by the rule above (each includes finish.h), the C++ one, jemalloc_mix.cpp linked
# with jemalloc, the library dlopen_loop loads, and the Rust one when Debian's rustc is
# here (tests/long/run.sh says it skips it otherwise).
LONG_DIR := $(BUILD)/tests/long/programs
LONG_C_BIN := $(patsubst tests/long/programs/%.c,$(LONG_DIR)/%,$(wildcard tests/long/programs/*.c))
RUSTC ?= $(wildcard /usr/bin/rustc)
LONG_BIN := $(LONG_C_BIN) $(LONG_DIR)/cxx_new_delete $(LONG_DIR)/jemalloc_mix $(LONG_DIR)/libctor_alloc.so \
    $(if $(RUSTC),$(LONG_DIR)/rust_alloc)

$(LONG_C_BIN): tests/long/programs/finish.h

$(LONG_DIR)/cxx_new_delete: tests/long/programs/cxx_new_delete.cpp tests/long/programs/finish.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -D_GNU_SOURCE $(WARN) $(OPT) -pthread $< -o $@

$(LONG_DIR)/jemalloc_mix: tests/programs/jemalloc_mix.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) $(OPT) $< -o $@ -ljemalloc

$(LONG_DIR)/libctor_alloc.so: tests/long/programs/dso/ctor_alloc.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -fPIC -shared $< -o $@

$(LONG_DIR)/rust_alloc: tests/long/programs/rust_alloc.rs
	@mkdir -p $(dir $@)
	$(RUSTC) -O --edition 2021 -D warnings $< -o $@

long-programs: $(LONG_BIN)

# CPYTHON_TESTS: the regression tests each interpreter runs (default: the list in
# tests/long/cpython.sh; "all": each one's whole suite).
check-long: deps
	@$(MAKE) --no-print-directory all long-programs
	@CPYTHON_TESTS="$(CPYTHON_TESTS)" bash tests/long/run.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh $(BUILD)

# The fuzz targets (tests/fuzz/fuzz_*.c): the CLI's objects again, built by clang for
# libFuzzer with ASan and UBSan, linked with each target; tests/fuzz/run.sh makes the
# seed corpus from real runs of this build and runs each target FUZZ_SECONDS.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_CFLAGS  := $(CSTD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CLI_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out mprof/main.c,$(CLI_SRC)))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_[a-z]*.c))
FUZZ_TARGETS := $(filter-out $(FUZZ_BUILD)/fuzz_input,$(FUZZ_TARGETS))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Improf $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_TARGETS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o \
                 $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_input.o $(FUZZ_CLI_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ -lm

fuzz: deps
	@$(MAKE) --no-print-directory all programs $(FUZZ_TARGETS)
	@bash tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

install: $(MPROF_BIN) $(MPROF_LIB) $(PLUGIN_LIBS) $(PYTHON_FILES)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/mprof $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/lib/mprof/python/mprof.dist-info
	install -m 644 $(addprefix $(PYTHON_DIR)/,$(PYTHON_MODULES)) $(DESTDIR)$(PREFIX)/lib/mprof/python/
	install -m 644 $(PYTHON_DIR)/mprof.dist-info/METADATA $(PYTHON_DIR)/mprof.dist-info/entry_points.txt \
	    $(DESTDIR)$(PREFIX)/lib/mprof/python/mprof.dist-info/
	install -m 755 $(MPROF_BIN) $(DESTDIR)$(PREFIX)/bin/mprof
	install -m 755 $(MPROF_LIB) $(DESTDIR)$(PREFIX)/lib/mprof/libmprof.so
	install -m 755 $(PLUGIN_LIBS) $(DESTDIR)$(PREFIX)/lib/mprof/
	install -m 644 doc/mprof.1 $(DESTDIR)$(PREFIX)/share/man/man1/mprof.1

clean:
	rm -rf build build-san

-include $(wildcard $(BUILD)/obj/mprof/*.d $(BUILD)/obj/tests/unit/*.d)
-include $(wildcard $(FUZZ_BUILD)/obj/mprof/*.d $(FUZZ_BUILD)/obj/tests/fuzz/*.d)
# A CLI object built before the compiler wrote .d files (an older build tree) still
# depends on every header, until its next build writes its own .d.
$(filter-out $(patsubst %.d,%.o,$(wildcard $(BUILD)/obj/mprof/*.d)),$(CLI_OBJ)): $(wildcard mprof/*.h include/mprof/*.h)
