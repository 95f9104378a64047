/*
 * check.h - the unit tests' assertions.  Each test binary ends with
 * CHECK_DONE(), which prints "N passed, N failed" and sets the exit code.
 */
#ifndef NEPTUN_TEST_CHECK_H
#define NEPTUN_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Atomic: some tests check from the threads they start. */
static _Atomic int check_passed, check_failed;

#define CHECK(cond) do { \
    if (cond) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) { check_passed++; } \
    else { check_failed++; fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                                   g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_DONE() do { \
    printf("%d passed, %d failed\n", atomic_load(&check_passed), atomic_load(&check_failed)); \
    return check_failed ? 1 : 0; \
} while (0)

#endif
