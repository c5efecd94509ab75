# fetchall — GNU Make build.
#
#   make              build build/release/fetchall (and ./fetchall, a link to it)
#   make test         build and run every unit and integration test
#   make asan         the whole suite under AddressSanitizer + UBSan
#   make tsan         the whole suite under ThreadSanitizer
#   make fuzz         build the libFuzzer targets (fuzz/) with clang and run
#                     each for FUZZ_SECONDS (default 10; 0: the seeds only);
#                     FUZZ_TARGETS="html robots" picks some, FUZZ_FLAGS adds
#                     libFuzzer options; crashes land in build/fuzz/crashes/
#                     and fail the run
#   make demo         install what is missing, build, run a loopback demo
#   make bench        benchmarks (not tests)
#   make man          write the man page build/fetchall.1 (fetchall --help-man);
#                     read it with man -l build/fetchall.1
#   make completion   write the bash and zsh completions build/fetchall.bash and
#                     build/_fetchall (fetchall --help-bash/zsh-completion)
#   make install      fetchall, its man page and completions under PREFIX
#                     (default /usr/local), staged under DESTDIR if given;
#                     make uninstall removes them (same PREFIX, DESTDIR)
#   make format       apply .clang-format;  make format-check  checks it
#   make WERROR=0     for packagers: warnings do not fail the build

VARIANT ?= release
WERROR  ?= 1
CC      ?= cc
PREFIX  ?= /usr/local
INSTALL ?= install
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10

B := build/$(VARIANT)

PKGS        := libcurl libxml-2.0 zlib
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lxml2 -lz)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# Redis (--redis, src/fleet.c), and the integration tests' own redis-server.
HIREDIS_LIBS := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(VARIANT),release)
OPT := -O2 -g
SAN :=
else ifeq ($(VARIANT),asan)
OPT := -O1 -g -fno-omit-frame-pointer
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(VARIANT),tsan)
OPT := -O1 -g
SAN := -fsanitize=thread
else ifeq ($(VARIANT),fuzz)
# Only for `make fuzz`: every object carries libFuzzer's instrumentation,
# and linking with it supplies main(), so there is no fetchall binary here.
override CC := $(FUZZ_CC)
OPT := -O1 -g -fno-omit-frame-pointer
SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
else
$(error VARIANT must be release, asan, tsan or fuzz)
endif

CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L
CFLAGS   += -std=c11 $(OPT) $(SAN) $(WARN) -pthread -MMD -MP $(PKG_CFLAGS)
LDFLAGS  += $(SAN) -pthread
LDLIBS   += $(PKG_LIBS) $(HIREDIS_LIBS) -lm

SRCS     := $(wildcard src/*.c)
LIB_OBJS := $(patsubst src/%.c,$(B)/src/%.o,$(filter-out src/main.c,$(SRCS)))
MAIN_OBJ := $(B)/src/main.o

SERVER_SRCS := $(wildcard tests/server/*.c)
SERVER_OBJS := $(patsubst %.c,$(B)/%.o,$(SERVER_SRCS))

UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRCS))
ITEST_SRCS  := $(wildcard tests/integration/test_*.c)
ITEST_BINS  := $(patsubst tests/integration/%.c,$(B)/tests/integration/%,$(ITEST_SRCS))
HARNESS_SRCS := $(filter-out $(ITEST_SRCS),$(wildcard tests/integration/*.c))
HARNESS_OBJS := $(patsubst %.c,$(B)/%.o,$(HARNESS_SRCS))

# Test-only LD_PRELOAD libraries (slow DNS, a write-after-free guard),
# built without sanitizers: they are loaded into release and sanitizer
# children alike.
PRELOAD_SRCS := $(wildcard tests/preload/*.c)
PRELOAD_SOS  := $(patsubst tests/preload/%.c,$(B)/tests/preload/%.so,$(PRELOAD_SRCS))

FUZZ_SRCS    := $(wildcard fuzz/fuzz_*.c)
FUZZ_TARGETS ?= $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS    := $(patsubst %,$(B)/fuzz_%,$(FUZZ_TARGETS))

.SECONDARY:

.PHONY: all test check unit integration asan tsan fuzz fuzz-build fuzz-run demo bench format \
        format-check install uninstall clean man completion

all: $(B)/fetchall $(B)/testserver $(B)/dnsd
ifeq ($(VARIANT),release)
	@ln -sf $(B)/fetchall fetchall
endif

# Not linked against libxml2: xmlload opens it when a run parses pages.
$(B)/fetchall: $(MAIN_OBJ) $(B)/libfetchall.a
	$(CC) $(LDFLAGS) -o $@ $^ $(filter-out -lxml2,$(LDLIBS))

$(B)/libfetchall.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/testserver: $(SERVER_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

# bench/dns's slow resolver (tests/dnsd/dnsd.c): every name under
# fetchall.test answered with 127.0.0.1 after a delay.
$(B)/dnsd: $(B)/tests/dnsd/dnsd.o
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(B)/tests/unit/guard.o $(B)/tests/unit/threads.o $(B)/libfetchall.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(B)/tests/integration/%: $(B)/tests/integration/%.o $(HARNESS_OBJS) $(B)/libfetchall.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(B)/tests/preload/%.so: tests/preload/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g $(WARN) -fPIC -shared -pthread -o $@ $< -ldl

$(B)/fuzz_%: $(B)/fuzz/fuzz_%.o $(B)/libfetchall.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test sources also include the server's content header.
$(B)/tests/%.o: CPPFLAGS += -Itests/server -Itests/integration

test check: all $(UNIT_BINS) $(ITEST_BINS) $(PRELOAD_SOS)
	@FETCHALL=$(B)/fetchall TESTSERVER=$(B)/testserver FIXTURES=fixtures PRELOAD=$(B)/tests/preload \
	  sh tests/run.sh $(UNIT_BINS) $(ITEST_BINS)

asan:
	$(MAKE) VARIANT=asan test

tsan:
	$(MAKE) VARIANT=tsan test

# One fuzzer at a time (fuzz/run.sh), each on a scratch copy of its seeds.
fuzz:
	$(MAKE) VARIANT=fuzz fuzz-run

fuzz-build:
	$(MAKE) VARIANT=fuzz $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))

ifeq ($(VARIANT),fuzz)
fuzz-run: $(FUZZ_BINS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_FLAGS='$(FUZZ_FLAGS)' FUZZ_OUT=$(B) \
	  SEEDS=fixtures/fuzz DICTS=fuzz sh fuzz/run.sh $(FUZZ_BINS)
endif

demo:
	sh tests/demo.sh

# The man page comes from the options table in src/cli.c, as --help does.
man: build/fetchall.1

build/fetchall.1: $(B)/fetchall
	$(B)/fetchall --help-man >$@.tmp && mv $@.tmp $@

# So are the completions: they never drift from the options.
completion: build/fetchall.bash build/_fetchall

build/fetchall.bash: $(B)/fetchall
	$(B)/fetchall --help-bash-completion >$@.tmp && mv $@.tmp $@

build/_fetchall: $(B)/fetchall
	$(B)/fetchall --help-zsh-completion >$@.tmp && mv $@.tmp $@

bench: all
	sh bench/run

format:
	clang-format -i src/*.c include/*.h tests/*/*.c tests/*/*.h fuzz/*.c

format-check:
	clang-format --dry-run --Werror src/*.c include/*.h tests/*/*.c tests/*/*.h fuzz/*.c

INSTALLED := $(BINDIR)/fetchall $(MANDIR)/man1/fetchall.1 $(BASHCOMPDIR)/fetchall \
             $(ZSHCOMPDIR)/_fetchall

install: all man completion
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR)
	$(INSTALL) -m 755 $(B)/fetchall $(DESTDIR)$(BINDIR)/fetchall
	$(INSTALL) -m 644 build/fetchall.1 $(DESTDIR)$(MANDIR)/man1/fetchall.1
	$(INSTALL) -m 644 build/fetchall.bash $(DESTDIR)$(BASHCOMPDIR)/fetchall
	$(INSTALL) -m 644 build/_fetchall $(DESTDIR)$(ZSHCOMPDIR)/_fetchall

# The files install put there; directories stay (others may share them).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	rm -rf build fetchall

-include $(shell find build -name '*.d' 2>/dev/null)
