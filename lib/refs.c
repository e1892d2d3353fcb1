/*
 * References one a line: an id, an email, a name, or a JSON record whose
 * first key present (of the caller's, "id" by default) holds it.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "stream_int.h"

struct crm_refs {
	struct input in;
	const char *const *keys;
	int	 started;
	long	 line;
	struct crm_buf acc;
};

static const char *const default_keys[] = { "id", NULL };

/* 1 when s[0..n) is UTF-8 without NUL, else 0 with *at at the fault. */
static int
text_ok(const char *s, size_t n, size_t *at)
{
	const char *nul = memchr(s, '\0', n);
	size_t len = nul != NULL ? (size_t)(nul - s) : n;

	if (!crm_utf8_check(s, len, at))
		return 0;
	if (nul != NULL) {
		*at = len;
		return 0;
	}
	return 1;
}

struct crm_refs *
crm_refs_new(FILE *fp, const char *name, const char *const *keys)
{
	struct crm_refs *r = crm_xcalloc(1, sizeof(*r));

	stream_input_init(&r->in, fp);
	r->keys = keys != NULL && keys[0] != NULL ? keys : default_keys;
	return r;
}

/* The reference in a JSON record: the first of r->keys present. */
static int
ref_from_json(struct crm_refs *r, const char *s, size_t n, char **ref,
    struct crm_error **err)
{
	const char *const *k;
	const cJSON *v = NULL;
	cJSON *obj;
	double d;
	int rc = -1;

	if (stream_parse_object(s, n, r->line, &obj, err) < 0)
		return -1;
	for (k = r->keys; *k != NULL; k++)
		if ((v = cJSON_GetObjectItemCaseSensitive(obj, *k)) != NULL)
			break;
	if (v == NULL)
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: no \"%s\" in "
		    "record", r->line, r->keys[0]);
	else if (cJSON_IsString(v) && *v->valuestring != '\0') {
		*ref = crm_xstrdup(v->valuestring);
		rc = 1;
	} else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)
	    && fabs(v->valuedouble) < 9007199254740992.0) {
		d = v->valuedouble;
		*ref = crm_xmalloc(32);
		snprintf(*ref, 32, "%.0f", d == 0 ? 0.0 : d);
		rc = 1;
	} else
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: \"%s\" is %s",
		    r->line, *k, cJSON_IsNull(v) ? "null" : cJSON_IsString(v) ?
		    "empty" : cJSON_IsNumber(v) ? "not an integer" :
		    "not a string or number");
	cJSON_Delete(obj);
	return rc;
}

int
crm_refs_next(struct crm_refs *r, char **ref, struct crm_error **err)
{
	char *s;
	size_t n, at;
	int rc;

	*ref = NULL;
	*err = NULL;
	if (!r->started) {
		r->started = 1;
		stream_skip_lead(&r->in);
	}
	for (;;) {
		rc = stream_next_line(&r->in, &r->acc, &s, &n, err);
		r->line = r->in.line;
		if (rc <= 0)
			return rc;
		if (!text_ok(s, n, &at)) {
			*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: %s at "
			    "byte %zu", r->line, s[at] == '\0' ? "NUL" :
			    "invalid UTF-8", at + 1);
			return -1;
		}
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			s[--n] = '\0';
		while (n > 0 && isspace((unsigned char)*s))
			s++, n--;
		if (n == 0)
			continue;
		if (*s == '{')
			return ref_from_json(r, s, n, ref, err);
		*ref = crm_xstrndup(s, n);
		return 1;
	}
}

long
crm_refs_line(const struct crm_refs *r)
{
	return r->line;
}

void
crm_refs_free(struct crm_refs *r)
{
	if (r == NULL)
		return;
	crm_buf_release(&r->acc);
	free(r->in.buf);
	free(r);
}
