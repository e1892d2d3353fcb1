/*
 * SLA durations and business hours (lib/sla_time.c), as crm-ticket sla
 * takes them: the input is "HOURS\nDURATION".  A duration accepted prints
 * back as text that parses to itself; hours accepted give a calendar on
 * which a due time is computed (in UTC and in a zone with DST), after
 * the start and in bounded time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_sla.h"

static void
due(const char *tz, const char *hours, long secs)
{
	const time_t start = 1795348800;	/* 2026-11-22T12:00:00Z */
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	time_t t;

	if ((err = crm_sla_cal_new(tz, hours, &cal)) != NULL) {
		crm_error_free(err);
		return;
	}
	(void)crm_sla_cal_holiday(cal, "2026-11-23");
	if ((err = crm_sla_due(cal, start, secs, NULL, 0, &t)) != NULL)
		crm_error_free(err);
	else if (t < start + (secs > 0 ? 1 : 0)) {
		fprintf(stderr, "due %lld before start + %ld\n",
		    (long long)t, secs);
		abort();
	}
	crm_sla_cal_free(cal);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *d, buf[64];
	long secs = 3600, again;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((d = strchr(s, '\n')) != NULL) {
		*d++ = '\0';
		if (crm_sla_duration_parse(d, &secs) == 0) {
			crm_sla_duration_format(secs, buf, sizeof(buf));
			if (crm_sla_duration_parse(buf, &again) != 0 ||
			    again != secs) {
				fprintf(stderr, "\"%s\" -> %s\n", d, buf);
				abort();
			}
		} else
			secs = 3600;
	}
	due("UTC", s, secs);
	due("Europe/Berlin", s, secs);
	free(s);
	return 0;
}
