# facecluster - one Makefile. `make test` and `make run` install what is missing
# (scripts/setup), build into build/ and run. See README.md.

CC       ?= cc
PKGS     := libprotobuf-c libturbojpeg libjpeg libpng libwebp libwebpdemux libheif libtiff-4 libgif libexif jansson sqlite3 libmicrohttpd libmongoc-1.0 libcurl libxml-2.0
ONNX_PROTO_DIR ?= /usr/include/onnx

BUILD    ?= build
MODE_FLAGS := -O2 -g
# `make asan test`: the same targets, built with AddressSanitizer + UBSan in build/asan.
ifneq ($(filter asan,$(MAKECMDGOALS)),)
BUILD    := build/asan
MODE_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   += -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(MODE_FLAGS) \
            -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -pthread \
            -Isrc -Itests -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(MODE_FLAGS) -pthread
LDLIBS   += $(PKG_LIBS) -ldnnl -lgomp -lstdc++ -lm

GEN_C    := $(BUILD)/gen/onnx.pb-c.c
GEN_H    := $(BUILD)/gen/onnx.pb-c.h
LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/gen/onnx.pb-c.o
TEST_SRC := $(shell find tests -maxdepth 2 -name '*.c' ! -path 'tests/heap/*' | sort)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
# build/heap_tests: tests that replace malloc (tests/heap/hook.h), in a binary of their own
HEAP_SRC := $(sort $(wildcard tests/heap/*.c)) tests/test_main.c tests/op_util.c tests/model_util.c tests/image_util.c tests/face_util.c \
            tests/synth.c tests/unit/test_store_fixtures.c
HEAP_OBJ := $(HEAP_SRC:%.c=$(BUILD)/obj/%.o)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

.PHONY: all setup run test bench asan valgrind fuzz clean install

all: $(BUILD)/facecluster $(BUILD)/tests $(BUILD)/heap_tests

setup:
	@scripts/setup

run:
	@scripts/setup
	@$(MAKE) --no-print-directory all
	@scripts/demo

test:
	@scripts/setup
	@$(MAKE) --no-print-directory BUILD=$(BUILD) MODE_FLAGS="$(MODE_FLAGS)" all
	@FC_BUILD=$(BUILD) tests/run

asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD) MODE_FLAGS="$(MODE_FLAGS)" all

valgrind: all
	@tests/valgrind $(BUILD)

bench:
	@scripts/setup
	@$(MAKE) --no-print-directory all
	@bench/run

# libFuzzer targets (clang); FUZZ_SECONDS per target, default 60.
FUZZ_SECONDS ?= 60
fuzz: $(GEN_H)
	@scripts/fuzz $(FUZZ_SECONDS)

install: $(BUILD)/facecluster
	install -m 0755 $(BUILD)/facecluster /usr/local/bin/facecluster

clean:
	rm -rf build

$(GEN_C) $(GEN_H): $(ONNX_PROTO_DIR)/onnx.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=$(ONNX_PROTO_DIR) --c_out=$(BUILD)/gen onnx.proto

# Generated code is not ours to lint: build it without -Werror.
$(BUILD)/gen/onnx.pb-c.o: $(GEN_C)
	$(CC) -std=c11 $(MODE_FLAGS) -w -I$(BUILD)/gen $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# dnnl.c sets per-thread state in oneDNN's OpenMP workers
$(BUILD)/obj/src/nn/dnnl.o $(BUILD)/obj/src/nn/pwdw.o $(BUILD)/obj/src/nn/silu.o: CFLAGS += -fopenmp

$(BUILD)/libfc.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/facecluster: $(BUILD)/obj/src/main.o $(BUILD)/libfc.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests: $(TEST_OBJ) $(BUILD)/libfc.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/heap_tests: $(HEAP_OBJ) $(BUILD)/libfc.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -ldl -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
