#!/usr/bin/env bash
# Build every libFuzzer harness in tests/fuzz/ against the core (clang,
# ASan + UBSan) and run each for FUZZ_SECONDS on a copy of its kept corpus
# (tests/fuzz/corpus/NAME/).  A crash fails the run; its input is kept in
# the temporary folder printed, to be added to the corpus once fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-10}
OUT=${FUZZ_BUILD:-build-fuzz}
shopt -s nullglob
harnesses=(tests/fuzz/fuzz_*.c)
if [ ${#harnesses[@]} -eq 0 ]; then
    echo "fuzz: no harnesses"
    exit 0
fi
mkdir -p "$OUT/obj"
OUT=$(cd "$OUT" && pwd)   # absolute: the harnesses run from a temporary folder
PKGS="libevent libevent_pthreads lua5.4 libxml-2.0 sqlite3 icu-uc icu-i18n zlib libcrypto"
# Every module folder of the core is on the include path (a harness, like a
# unit test, may reach a module's internals); header names are unique.
INCS="-Icore/include -Icore"
for d in core/*/; do
    [ "$d" = core/include/ ] || INCS="$INCS -I${d%/}"
done
CFLAGS="-std=c11 -D_GNU_SOURCE -DNEPTUN_HOST_BUILD -DNEPTUN_VERSION=\"fuzz\" \
 -DNEPTUN_PLUGIN_INSTALL_DIR=\"/nonexistent\" -DNEPTUN_DATA_INSTALL_DIR=\"/nonexistent\" \
 -DNEPTUN_BIN_TO_PLUGINS=\"nonexistent\" -DNEPTUN_BIN_TO_DATA=\"nonexistent\" \
 -g -O1 -fno-omit-frame-pointer $INCS $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -ldl -lm -lpthread"
objs=()
for src in core/*.c core/*/*.c; do
    case "$src" in core/main.c|core/api/main.c|core/include/*) continue ;; esac
    obj="$OUT/obj/$(basename "${src%.c}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
        clang $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$obj"
    fi
    objs+=("$obj")
done
fail=0
for h in "${harnesses[@]}"; do
    name=$(basename "${h%.c}")
    bin="$OUT/$name"
    clang $CFLAGS -fsanitize=fuzzer,address,undefined "$h" "${objs[@]}" $LIBS -o "$bin"
    work=$(mktemp -d)
    mkdir -p "$work/corpus"
    if [ -d "tests/fuzz/corpus/${name#fuzz_}" ]; then
        cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$work/corpus/"
    fi
    echo "fuzz: $name for ${SECONDS_EACH}s"
    if ! (cd "$work" && NEPTUN_SOURCE_DIR="$OLDPWD" "$bin" -max_total_time="$SECONDS_EACH" \
            -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 corpus \
            >"$work/log" 2>&1); then
        echo "fuzz: $name FAILED; log and crashing input in $work"
        tail -40 "$work/log"
        fail=1
    else
        grep -E "^(Done|#[0-9]+ *DONE)" "$work/log" | tail -1 || true
        rm -rf "$work"
    fi
done
if [ $fail -ne 0 ]; then
    echo "fuzz: 0 passed, ${#harnesses[@]} failed"
    exit 1
fi
echo "fuzz: ${#harnesses[@]} passed, 0 failed"
