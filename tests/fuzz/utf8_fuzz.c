/*
 * The UTF-8 checker (crm_utf8_check, crm_utf8_width, lib/utf8.c) against
 * a plain reading of RFC 3629: the same verdict, the same first bad byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crm_stream.h"

/* 1 when valid, else 0 with *bad the offset of the first bad sequence. */
static int
reference(const uint8_t *s, size_t n, size_t *bad)
{
	size_t i = 0, k, len;
	uint32_t c, min;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, c &= 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, c &= 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, c &= 0x07, min = 0x10000;
		else
			break;
		for (k = 1; k < len; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				break;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (k < len || c < min || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			break;
		i += len;
	}
	*bad = i;
	return i == n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t bad = 0, want;
	int ok, ref;

	ok = crm_utf8_check((const char *)data, size, &bad);
	ref = reference(data, size, &want);
	if (ok != ref || (!ok && bad != want)) {
		fprintf(stderr, "check %d at %zu, want %d at %zu\n", ok, bad,
		    ref, want);
		abort();
	}
	if (ok)
		(void)crm_utf8_width((const char *)data, size);
	else
		(void)crm_utf8_width((const char *)data, want);
	return 0;
}
