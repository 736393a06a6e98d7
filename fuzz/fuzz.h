/*
 * The one entry point every fuzz target defines. libFuzzer calls it with each generated input;
 * replay_main.c calls it with each seed file so the corpora also run in the ordinary test suite.
 * Contract for targets: data is borrowed and not NUL-terminated; the target frees all it
 * allocates, returns 0, and reports a broken invariant by abort() (a crash is a finding).
 */
#ifndef FIDELE_FUZZ_FUZZ_H
#define FIDELE_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fails the run when an invariant of the code under test does not hold. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
