#!/usr/bin/env bash
# Negative tests of tools/depgraph.py: tiny fake trees in a temporary folder,
# each with one broken rule (a circle by includes, a circle only the symbols
# show, a circle between modules, a private header used by another module),
# and clean ones that must pass.  Objects are compiled with cc -c into the
# folders CMake would use (BUILD/CMakeFiles/<target>.dir/core/...).
# Prints "N passed, N failed"; exits 1 when any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
DEPGRAPH=${DEPGRAPH:-$here/depgraph.py}
PY=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# put TREE PATH TEXT: write one source file of a fake tree.
put() {
    mkdir -p "$(dirname "$1/core/$2")"
    printf '%s\n' "$3" >"$1/core/$2"
}

# objects TREE: compile every core/**/*.c as CMake would lay it out.
objects() {
    local tree=$1 src rel obj incs
    incs="-I$tree/core -I$tree/core/include"
    for d in "$tree"/core/*/; do incs="$incs -I$d"; done
    while IFS= read -r src; do
        rel=${src#"$tree"/}
        obj="$tree/build/CMakeFiles/fake.dir/$rel.o"
        mkdir -p "$(dirname "$obj")"
        # shellcheck disable=SC2086
        "$CC" -std=c11 -c $incs "$src" -o "$obj" || return 1
    done < <(find "$tree/core" -name '*.c' | sort)
}

# check NAME WANT_STATUS WANT_TEXT TREE [ARGS...]: run depgraph on TREE.
check() {
    local name=$1 want=$2 text=$3 tree=$4 out status
    shift 4
    out=$("$PY" "$DEPGRAPH" --root "$tree" "$@" 2>&1)
    status=$?
    if [ "$status" -eq "$want" ] && { [ -z "$text" ] || grep -qF -- "$text" <<<"$out"; }; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: exit $status (want $want), want text: $text"
        sed 's/^/     | /' <<<"$out"
        failed=$((failed + 1))
    fi
}

# 1. Clean flat tree: a uses b, by include and by symbol.
t=$work/clean
put "$t" b.h 'int b_fn(void);'
put "$t" b.c '#include "b.h"
int b_fn(void) { return 1; }'
put "$t" a.h 'int a_fn(void);'
put "$t" a.c '#include "a.h"
#include "b.h"
int a_fn(void) { return b_fn(); }'
objects "$t" || { echo "FAIL cannot compile"; exit 1; }
check "clean tree passes (includes)" 0 "depgraph: ok" "$t"
check "clean tree passes (symbols)" 0 "depgraph: ok" "$t" --build "$t/build"

# 2. Two files include each other's header.
t=$work/inc_cycle
put "$t" a.h 'int a_fn(void);'
put "$t" b.h 'int b_fn(void);'
put "$t" a.c '#include "a.h"
#include "b.h"
int a_fn(void) { return 1; }'
put "$t" b.c '#include "b.h"
#include "a.h"
int b_fn(void) { return 2; }'
check "include circle fails" 1 "a.c → b.c → a.c (includes)" "$t"

# 3. A circle a shared header hides: both include only shared.h.
t=$work/sym_cycle
put "$t" shared.h 'int a_fn(int); int b_fn(int);'
put "$t" a.c '#include "shared.h"
int a_fn(int n) { return n ? b_fn(n - 1) : 0; }'
put "$t" b.c '#include "shared.h"
int b_fn(int n) { return n ? a_fn(n - 1) : 1; }'
objects "$t" || { echo "FAIL cannot compile"; exit 1; }
check "symbol circle is invisible to includes" 0 "depgraph: ok" "$t"
check "symbol circle fails with --build" 1 "a.c → b.c → a.c (symbols)" "$t" --build "$t/build"

# 4. Modules in a circle without any file circle: m1/x uses m2, m2/y uses m1.
t=$work/mod_cycle
put "$t" m1/m1.h 'int m1_fn(void);'
put "$t" m1/m1.c '#include "m1.h"
int m1_fn(void) { return 1; }'
put "$t" m1/x.c '#include "m2.h"
int x_fn(void);
int x_fn(void) { return m2_fn(); }'
put "$t" m2/m2.h 'int m2_fn(void);'
put "$t" m2/m2.c '#include "m2.h"
int m2_fn(void) { return 2; }'
put "$t" m2/y.c '#include "m1.h"
int y_fn(void);
int y_fn(void) { return m1_fn(); }'
objects "$t" || { echo "FAIL cannot compile"; exit 1; }
check "module circle fails" 1 "m1 → m2 → m1" "$t"
check "module circle fails with --build" 1 "module circle among 2" "$t" --build "$t/build"
out=$("$PY" "$DEPGRAPH" --root "$t" 2>&1)
if grep -q "^file circle" <<<"$out"; then
    echo "FAIL module circle is no file circle"; failed=$((failed + 1))
else
    echo "ok   module circle is no file circle"; passed=$((passed + 1))
fi

# 5. A private header used by another module; then the clean modular tree.
t=$work/leak
put "$t" include/neptun/sdk.h 'int sdk_fn(void);'
put "$t" kit/kit.h '#include <neptun/sdk.h>
int kit_fn(void);'
put "$t" kit/kit_internal.h 'int kit_secret(void);'
put "$t" kit/kit.c '#include "kit.h"
#include "kit_internal.h"
int kit_secret(void) { return 3; }
int kit_fn(void) { return kit_secret(); }'
put "$t" store/store.h 'int store_fn(void);'
put "$t" store/store.c '#include "store.h"
#include "kit.h"
int store_fn(void) { return kit_fn(); }'
objects "$t" || { echo "FAIL cannot compile"; exit 1; }
check "clean modules pass" 0 "depgraph: ok" "$t" --build "$t/build"
check "--graph lists modules lowest first" 0 "kit        uses include" "$t" --graph
put "$t" store/store.c '#include "store.h"
#include "kit_internal.h"
int store_fn(void) { return kit_secret(); }'
check "private header leak fails" 1 "store/store.c:2 includes kit/kit_internal.h, private to module kit" "$t"
put "$t" store/store.c '#include "store.h"
#include "kit/helper.h"
int store_fn(void) { return 0; }'
put "$t" kit/helper.h 'int helper(void);'
check "a header not named after its module is private" 1 "private to module kit" "$t"

# 6. Usage errors are no passes.
check "missing build folder is an error" 2 "no build folder" "$work/clean" --build "$work/nowhere"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
