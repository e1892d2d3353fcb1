/*
 * Shared by the stream harnesses (csv_fuzz.c, jsonl_fuzz.c): the input
 * repeated past the readers' buffers (64 KB, 256 KB), so that rows
 * straddle refills.  Returns the new size; the caller frees *out.
 */
#ifndef STRETCH_H
#define STRETCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t
stretch(const uint8_t *data, size_t size, uint8_t **out)
{
	size_t n = 0, want = 300 * 1024;

	*out = malloc(want + size);
	while (n < want) {
		memcpy(*out + n, data, size);
		n += size;
	}
	return n;
}

#endif
