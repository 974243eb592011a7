# mprof — one flat Makefile.
#   make              build bin/mprof and lib/mprof/libmprof.so under build/
#   make demo         install what is missing, build, profile examples/, plot
#   make check        install what is missing, build, run unit + integration tests
#   make check SANITIZE=1   the same with the CLI and unit tests under ASan/UBSan
#   make bench        overhead against the bare run and memory_profiler
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
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD := $(BUILD)-san
endif

CLI_CFLAGS  := $(CSTD) $(WARN) $(OPT) $(SAN_FLAGS)
# The preload library never gets sanitizers: it is the allocator's front door.
LIB_CFLAGS  := $(CSTD) $(WARN) $(OPT) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
               -fno-stack-protector -pthread

CLI_SRC  := $(wildcard mprof/*.c)
CLI_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
CLI_LIB_OBJ := $(filter-out $(BUILD)/obj/mprof/main.o,$(CLI_OBJ))
LIB_SRC  := $(wildcard preload/*.c)
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
# The @profile plugin, one per CPython minor version, built against that version's
# headers (Debian's python3-dev). libmprof.so loads it only inside a matching interpreter.
PY311_SRC := $(wildcard preload/python311/*.c)
PY311_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(PY311_SRC))
PY311_CONFIG := $(firstword $(wildcard /usr/bin/python3.11-config) python3.11-config)
PY311_INCLUDES := $(shell $(PY311_CONFIG) --includes 2>/dev/null)
PY311_LIB := $(BUILD)/lib/mprof/libmprof-python311.so
PY311_EXE := $(firstword $(wildcard /usr/bin/python3.11) python3.11)
PY311_TLS_DIALECT := $(if $(filter x86_64,$(shell uname -m)),-mtls-dialect=gnu2)
PY311_GLUE_CODE := $(BUILD)/obj/preload/python311/glue.marshal
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_MAIN_OBJ := $(BUILD)/obj/tests/unit/check_main.o $(BUILD)/obj/tests/unit/fixture.o
HELPER_SRC := $(wildcard tests/programs/*.c examples/*.c)
HELPER_BIN := $(patsubst %.c,$(BUILD)/%,$(HELPER_SRC))

MPROF_BIN := $(BUILD)/bin/mprof
MPROF_LIB := $(BUILD)/lib/mprof/libmprof.so
CHECK_FLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

.PHONY: all deps demo check unit integration bench install clean programs
all: $(MPROF_BIN) $(MPROF_LIB) $(PY311_LIB) programs

programs: $(HELPER_BIN)

# The compiler writes each object's headers to a .d beside it (-MP: a header that
# goes away breaks no build); included at the end of this file.
$(BUILD)/obj/mprof/%.o: mprof/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/preload/%.o: preload/%.c $(wildcard preload/*.h include/mprof/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(MPROF_BIN): $(CLI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) $^ -o $@ -lm

# The glue's code object, compiled once here by the same minor version (profile.c
# embeds it beside the source).
$(PY311_GLUE_CODE): preload/python311/glue.py scripts/compile-glue.py
	@mkdir -p $(dir $@)
	$(PY311_EXE) scripts/compile-glue.py $< $@

# The plugin is dlopened, so its TLS is global-dynamic; on x86-64 the gnu2 dialect (TLS
# descriptors) makes each access a short indirect call instead of __tls_get_addr.
$(BUILD)/obj/preload/python311/%.o: preload/python311/%.c preload/python311/glue.py $(PY311_GLUE_CODE) preload/plugin.h $(wildcard include/mprof/*.h)
	@mkdir -p $(dir $@)
	@test -n "$(PY311_INCLUDES)" || { echo "mprof: python3.11-config not found; install it with: apt-get install python3-dev" >&2; exit 1; }
	$(CC) $(CPPFLAGS) $(PY311_INCLUDES) $(LIB_CFLAGS) -ftls-model=global-dynamic $(PY311_TLS_DIALECT) \
	    -DMPROF_GLUE_PATH='"preload/python311/glue.py"' \
	    -DMPROF_GLUE_CODE_PATH='"$(PY311_GLUE_CODE)"' -c $< -o $@

# Py* symbols stay undefined: the interpreter that dlopens the plugin provides them.
$(PY311_LIB): $(PY311_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -shared $(PY311_OBJ) -o $@

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

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh $(BUILD)

install: $(MPROF_BIN) $(MPROF_LIB) $(PY311_LIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/mprof $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(MPROF_BIN) $(DESTDIR)$(PREFIX)/bin/mprof
	install -m 755 $(MPROF_LIB) $(DESTDIR)$(PREFIX)/lib/mprof/libmprof.so
	install -m 755 $(PY311_LIB) $(DESTDIR)$(PREFIX)/lib/mprof/libmprof-python311.so
	install -m 644 doc/mprof.1 $(DESTDIR)$(PREFIX)/share/man/man1/mprof.1

clean:
	rm -rf build build-san

-include $(wildcard $(BUILD)/obj/mprof/*.d $(BUILD)/obj/tests/unit/*.d)
# A CLI object built before the compiler wrote .d files (an older build tree) still
# depends on every header, until its next build writes its own .d.
$(filter-out $(patsubst %.d,%.o,$(wildcard $(BUILD)/obj/mprof/*.d)),$(CLI_OBJ)): $(wildcard mprof/*.h include/mprof/*.h)
