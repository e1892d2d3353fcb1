/*
 * Campaign templates (lib/template.c): the input is a template, parsed as
 * bytes (NUL and all) and as a C string, then rendered in each mode
 * against a contact with nested objects, arrays, numbers, booleans and
 * null.  An error is a one-line usage error; a missing name is a name
 * the template uses; names come sorted and unique; text without "{{"
 * renders as itself; rendering twice gives the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_template.h"

static const char ctx_json[] =
    "{\"name\": \"Ada <Lovelace>\", \"first_name\": \"Ada\","
    " \"last_name\": \"\", \"email\": \"ada@example.org\","
    " \"stage\": null, \"tags\": [\"vip\", \"b&b\", 3, null, true, {}],"
    " \"none\": [], \"score\": 42, \"ratio\": -0.1, \"big\": 1e300,"
    " \"opt_in\": true, \"bounced\": false,"
    " \"fields\": {\"city\": \"Z\\u00fcrich\", \"quote\": \"\\\"'\\\\\\n\","
    "  \"a\": {\"b\": {\"c\": [1.5, \"x\"]}}, \"zero\": 0, \"nil\": null},"
    " \"unsubscribe_url\": \"https://x.example/u?a=1&b=2\","
    " \"campaign\": {\"name\": \"Winter\", \"id\": 7}}";

static cJSON *ctx;

static void
check_error(struct crm_error *err)
{
	if (err->code != CRM_EXIT_USAGE || strchr(err->msg, '\n') != NULL ||
	    strncmp(err->msg, "--text: ", 8) != 0) {
		fprintf(stderr, "bad error: %d %s\n", err->code, err->msg);
		abort();
	}
	crm_error_free(err);
}

/* Does s[0..n) hold "{{"? */
static int
has_tag(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '{' && s[i + 1] == '{')
			return 1;
	return 0;
}

static void
render(const struct crm_template *t, const char *s, size_t n)
{
	struct crm_strv names = CRM_STRV_INIT, missing = CRM_STRV_INIT;
	struct crm_buf out = CRM_BUF_INIT, again = CRM_BUF_INIT;
	enum crm_tpl_mode mode;
	size_t i;

	crm_template_vars(t, &names);
	for (i = 1; i < names.n; i++)
		if (strcmp(names.v[i - 1], names.v[i]) >= 0)
			abort();
	for (mode = CRM_TPL_TEXT; mode <= CRM_TPL_JSON; mode++) {
		crm_buf_reset(&out);
		crm_buf_reset(&again);
		crm_template_render(t, ctx, mode, &out, &missing);
		crm_template_render(t, ctx, mode, &again, NULL);
		if (out.len != again.len ||
		    memcmp(crm_buf_str(&out), crm_buf_str(&again), out.len))
			abort();
		if (mode == CRM_TPL_TEXT && !has_tag(s, n) &&
		    (out.len != n || memcmp(crm_buf_str(&out), s, n) != 0))
			abort();
	}
	for (i = 0; i < missing.n; i++)
		if (!crm_strv_has(&names, missing.v[i]))
			abort();
	crm_strv_clear(&names);
	crm_strv_clear(&missing);
	crm_buf_release(&out);
	crm_buf_release(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_template *t;
	struct crm_error *err;
	char *s;

	if (ctx == NULL && (ctx = cJSON_Parse(ctx_json)) == NULL)
		abort();
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((err = crm_template_parsen(s, size, "--text", &t)) != NULL)
		check_error(err);
	else {
		render(t, s, size);
		crm_template_free(t);
	}
	/* As a C string: up to the first NUL. */
	if ((err = crm_template_parse(s, "--text", &t)) != NULL)
		check_error(err);
	else {
		render(t, s, strlen(s));
		crm_template_free(t);
	}
	free(s);
	return 0;
}
