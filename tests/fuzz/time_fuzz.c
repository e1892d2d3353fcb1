/*
 * Dates and times (crm_time_parse, lib/util.c): whatever it accepts comes
 * out as ISO 8601 UTC text that parses again to itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[CRM_TIME_LEN], again[CRM_TIME_LEN], day[CRM_TIME_LEN];
	char *s;
	int is_day;

	setenv("CRM_NOW", "2026-11-22T12:00:00Z", 1);
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	memset(out, 'x', sizeof(out));
	if (crm_time_parse(s, out, &is_day) == 0) {
		if (strlen(out) != CRM_TIME_LEN - 1 || out[10] != 'T' ||
		    out[19] != 'Z')
			abort();
		if (crm_time_parse(out, again, NULL) != 0 ||
		    strcmp(out, again) != 0) {
			fprintf(stderr, "\"%s\" -> %s -> %s\n", s, out, again);
			abort();
		}
		crm_time_add_days(out, is_day ? 1 : -1, day);
	}
	free(s);
	return 0;
}
