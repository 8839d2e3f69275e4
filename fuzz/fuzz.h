/* netbench fuzz targets: the one entry point every target defines.
 *
 * Built two ways (fuzz/meson.build): with clang and libFuzzer
 * (-Dfuzzing=true, driven by ci/fuzz), or with replay.c's main, which
 * feeds every file of a corpus directory once (the 'fuzz' test suite).
 * A target must accept any bytes, keep no state between calls that
 * changes what the next call does, and free what it allocates. */
#ifndef NB_FUZZ_H
#define NB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
