/*
 * Money (lib/money.c): amounts in currencies of 0, 2 and 3 decimals,
 * currency codes and exchange rates.  An amount accepted prints back as
 * text that parses to the same amount; a rate likewise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_money.h"

static void
amount(const char *s, const char *code)
{
	const struct crm_currency *cur = crm_currency_find(code);
	char out[CRM_MONEY_LEN];
	struct crm_error *err;
	int64_t minor, again;

	if ((err = crm_money_parse(s, cur, &minor)) != NULL) {
		crm_error_free(err);
		return;
	}
	if (minor < 0 || minor > CRM_MONEY_MAX)
		abort();
	crm_money_format(minor, cur->digits, out);
	if ((err = crm_money_parse(out, cur, &again)) != NULL ||
	    again != minor) {
		fprintf(stderr, "\"%s\" %s -> %s\n", s, code, out);
		abort();
	}
}

static void
rate(const char *s)
{
	char out[CRM_MONEY_LEN];
	struct crm_error *err;
	struct crm_rate r, again;
	int64_t conv;

	if ((err = crm_rate_parse(s, &r)) != NULL) {
		crm_error_free(err);
		return;
	}
	crm_rate_format(&r, out);
	if ((err = crm_rate_parse(out, &again)) != NULL ||
	    again.mant != r.mant || again.scale != r.scale) {
		fprintf(stderr, "rate \"%s\" -> %s\n", s, out);
		abort();
	}
	crm_error_free(crm_money_convert(CRM_MONEY_MAX, 2, 0, &r, 0, &conv));
	crm_error_free(crm_money_convert(CRM_MONEY_MAX, 0, 3, &r, 1, &conv));
	crm_error_free(crm_money_convert(12345, 3, 2, &r, 0, &conv));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct crm_currency *cur;
	struct crm_error *err;
	char *s;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	amount(s, "EUR");
	amount(s, "JPY");
	amount(s, "BHD");
	rate(s);
	if ((err = crm_currency_parse(s, &cur)) != NULL)
		crm_error_free(err);
	else if (cur == NULL || crm_currency_find(cur->code) != cur)
		abort();
	free(s);
	return 0;
}
