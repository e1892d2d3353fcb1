#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crm_config.h"
#include "crm_util.h"

static void
oom(void)
{
	fputs("crm: out of memory\n", stderr);
	abort();
}

void *
crm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
crm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
crm_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
crm_xstrdup(const char *s)
{
	return crm_xstrndup(s, strlen(s));
}

char *
crm_xstrndup(const char *s, size_t n)
{
	char *p = crm_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
crm_buf_init(struct crm_buf *b)
{
	b->buf = NULL;
	b->len = b->alloc = 0;
}

void
crm_buf_release(struct crm_buf *b)
{
	free(b->buf);
	crm_buf_init(b);
}

void
crm_buf_reset(struct crm_buf *b)
{
	b->len = 0;
	if (b->buf != NULL)
		b->buf[0] = '\0';
}

void
crm_buf_grow(struct crm_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;

	if (want <= b->alloc)
		return;
	if (want < b->alloc * 2)
		want = b->alloc * 2;
	if (want < 64)
		want = 64;
	b->buf = crm_xrealloc(b->buf, want);
	b->alloc = want;
}

void
crm_buf_add(struct crm_buf *b, const void *p, size_t n)
{
	crm_buf_grow(b, n);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void
crm_buf_adds(struct crm_buf *b, const char *s)
{
	crm_buf_add(b, s, strlen(s));
}

void
crm_buf_addch(struct crm_buf *b, int c)
{
	char ch = (char)c;

	crm_buf_add(b, &ch, 1);
}

void
crm_buf_vaddf(struct crm_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	crm_buf_grow(b, (size_t)n);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
crm_buf_addf(struct crm_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	crm_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *
crm_buf_detach(struct crm_buf *b)
{
	char *s = b->buf != NULL ? b->buf : crm_xstrdup("");

	crm_buf_init(b);
	return s;
}

const char *
crm_buf_str(const struct crm_buf *b)
{
	return b->buf != NULL ? b->buf : "";
}

void
crm_strv_push(struct crm_strv *sv, const char *s)
{
	if (sv->n + 2 > sv->alloc) {
		sv->alloc = sv->alloc ? sv->alloc * 2 : 8;
		sv->v = crm_xrealloc(sv->v, sv->alloc * sizeof(*sv->v));
	}
	sv->v[sv->n++] = crm_xstrdup(s);
	sv->v[sv->n] = NULL;
}

void
crm_strv_clear(struct crm_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

void
crm_strv_split(struct crm_strv *sv, const char *s, int sep)
{
	const char *p = s, *e;
	char *item;

	for (;;) {
		e = strchr(p, sep);
		item = crm_xstrndup(p, e ? (size_t)(e - p) : strlen(p));
		if (*crm_trim(item) != '\0')
			crm_strv_push(sv, crm_trim(item));
		free(item);
		if (e == NULL)
			break;
		p = e + 1;
	}
}

int
crm_strv_has(const struct crm_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

int
crm_is_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

void
crm_scrub(const char *in, size_t n, const char *const *secret,
    size_t nsecret, char *out, size_t outsz)
{
	size_t i = 0, o = 0, k, len = 0;

	while (i < n && o + 5 < outsz) {
		for (k = 0; k < nsecret; k++) {
			len = secret[k] != NULL ? strlen(secret[k]) : 0;
			if (len > 0 && n - i >= len &&
			    memcmp(in + i, secret[k], len) == 0)
				break;
		}
		if (k < nsecret) {
			memcpy(out + o, "****", 4);
			o += 4;
			i += len;
			continue;
		}
		out[o++] = iscntrl((unsigned char)in[i]) ? ' ' : in[i];
		i++;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

int
crm_parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "yes", "1", "on" };
	static const char *const no[] = { "false", "no", "0", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

struct crm_error *
crm_name_check(const char *name, const char *what)
{
	const char *p;

	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    ((*p == '-' || *p == '_') && p > name)))
			break;
	if (*name == '\0' || *p != '\0' || crm_is_id(name) ||
	    p - name > CRM_NAME_MAX)
		return crm_error_new(CRM_EXIT_USAGE, "invalid %s name \"%s\" "
		    "(use lowercase letters, digits, - and _, at most %d, not "
		    "only digits)", what, name, CRM_NAME_MAX);
	return NULL;
}

char *
crm_trim(char *s)
{
	size_t n;
	char *p = s;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	return s;
}

void
crm_time_format(time_t t, char out[CRM_TIME_LEN])
{
	struct tm tm;
	char tmp[96];

	/* Not strftime's %Y: it writes year 26 as "26", not "0026". */
	gmtime_r(&t, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, CRM_TIME_LEN - 1);
	out[CRM_TIME_LEN - 1] = '\0';
}

/* Parse an absolute ISO 8601 time into t; -1 if s is not one. */
static int
parse_absolute(const char *s, time_t *t, int *is_day)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, off = 0;
	int oh, om;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + n;
	*is_day = *p == '\0';
	if (*p == 'T' || *p == ' ') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		p += 1 + n;
		if (*p == ':') {
			n = 0;
			if (sscanf(p + 1, "%2d%n", &sec, &n) != 1 || n != 2)
				return -1;
			p += 1 + n;
			if (*p == '.')	/* fractions of a second: dropped */
				for (p++; isdigit((unsigned char)*p); p++)
					;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			n = 0;
			if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 ||
			    n != 5)
				return -1;
			off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
			p += 1 + n;
		}
	} else if (*p != '\0')
		return -1;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm) - off;
	/* timegm() normalises 2026-02-31 silently: refuse it instead. */
	gmtime_r(t, &tm);
	if (off == 0 && tm.tm_mday != d)
		return -1;
	return 0;
}

time_t
crm_time_now_t(void)
{
	const char *env = getenv("CRM_NOW");
	time_t t;
	int day;

	if (env != NULL && *env != '\0' && parse_absolute(env, &t, &day) == 0)
		return t;
	return time(NULL);
}

void
crm_time_now(char out[CRM_TIME_LEN])
{
	crm_time_format(crm_time_now_t(), out);
}

static time_t
start_of_day(time_t t)
{
	return t - t % 86400;
}

int
crm_time_parse(const char *s, char out[CRM_TIME_LEN], int *is_day)
{
	time_t now = crm_time_now_t(), t;
	struct tm tm;
	char *end;
	long n;
	int day = 0;

	if (strcmp(s, "now") == 0)
		t = now;
	else if (strcmp(s, "today") == 0)
		t = start_of_day(now), day = 1;
	else if (strcmp(s, "yesterday") == 0)
		t = start_of_day(now) - 86400, day = 1;
	else if (strcmp(s, "tomorrow") == 0)
		t = start_of_day(now) + 86400, day = 1;
	else if (*s == '+' || *s == '-') {
		if (!isdigit((unsigned char)s[1]))
			return -1;
		n = strtol(s + 1, &end, 10);
		if (n > 100000)
			return -1;
		if (*s == '-')
			n = -n;
		gmtime_r(&now, &tm);
		if (strcmp(end, "h") == 0)
			t = now + n * 3600;
		else if (strcmp(end, "d") == 0)
			t = now + n * 86400;
		else if (strcmp(end, "w") == 0)
			t = now + n * 7 * 86400;
		else if (strcmp(end, "mo") == 0) {
			tm.tm_mon += (int)n;
			t = timegm(&tm);
		} else if (strcmp(end, "y") == 0) {
			tm.tm_year += (int)n;
			t = timegm(&tm);
		} else
			return -1;
	} else if (parse_absolute(s, &t, &day) != 0)
		return -1;
	/* Only what four digits of year can write ("+9000y" cannot). */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	crm_time_format(t, out);
	if (is_day != NULL)
		*is_day = day;
	return 0;
}

void
crm_time_add_days(const char in[CRM_TIME_LEN], int days,
    char out[CRM_TIME_LEN])
{
	time_t t;
	int day;

	if (parse_absolute(in, &t, &day) != 0)
		t = 0;
	crm_time_format(t + (time_t)days * 86400, out);
}

size_t
crm_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	row = crm_xmalloc((lb + 1) * sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

const char *
crm_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = SIZE_MAX, len = strlen(word);
	size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;

	for (i = 0; i < n; i++) {
		d = crm_levenshtein(word, cands[i]);
		/* A prefix ("stag" for "stage_id") is a plausible slip too. */
		if (d > limit && strncmp(cands[i], word, len) == 0 && len >= 3)
			d = limit;
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return bestd <= limit ? best : NULL;
}

const char *
crm_actor(void)
{
	/* The login name costs a lookup: ask once per process. */
	static char buf[256];
	const char *s = crm_config_get("user", NULL, NULL);
	struct passwd *pw;

	if (s != NULL && *s != '\0')
		return s;
	if (buf[0] != '\0')
		return buf;
	if ((s = getlogin()) != NULL && *s != '\0')
		snprintf(buf, sizeof(buf), "%s", s);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(buf, sizeof(buf), "%s", pw->pw_name);
	else
		snprintf(buf, sizeof(buf), "uid:%ld", (long)getuid());
	return buf;
}

uint64_t
crm_hash(const char *s, size_t n, int fold, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

void
crm_bloom_init(struct crm_bloom *b, uint64_t keys, unsigned bits_per_key)
{
	uint64_t bits;

	for (bits = 1u << 20; bits < (1u << 26) && bits < bits_per_key * keys;
	    bits *= 2)
		;
	b->mask = bits - 1;
	b->w = crm_xcalloc((size_t)bits / 64, sizeof(uint64_t));
}

int
crm_bloom_seen(struct crm_bloom *b, const char *s, int fold, uint64_t seed)
{
	uint64_t h = crm_hash(s, strlen(s), fold, seed), bits, *w;

	w = &b->w[(h >> 6) & (b->mask >> 6)];
	bits = 1ULL << (h & 63) | 1ULL << ((h >> 40) & 63) |
	    1ULL << ((h >> 46) & 63) | 1ULL << ((h >> 52) & 63);
	if ((*w & bits) == bits)
		return 1;
	*w |= bits;
	return 0;
}

void
crm_bloom_free(struct crm_bloom *b)
{
	free(b->w);
	b->w = NULL;
}
