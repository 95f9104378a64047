/*
 * clock.h - the monotonic clock, for durations and deadlines (never for
 * dates: those come from time() and ICU).
 */
#ifndef NEPTUN_CLOCK_H
#define NEPTUN_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline double clock_monotonic_ms(void)
{
    return (double)clock_monotonic_us() / 1000.0;
}

#endif
