/*
 * Small helpers every module shares: a growable string buffer, allocation
 * that aborts on exhaustion, string lists, times and suggestions.
 */
#ifndef CRM_UTIL_H
#define CRM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Growable, always NUL-terminated string, as git's strbuf. */
struct crm_buf {
	char	*buf;
	size_t	 len;
	size_t	 alloc;
};
#define CRM_BUF_INIT { NULL, 0, 0 }

void	 crm_buf_init(struct crm_buf *b);
void	 crm_buf_release(struct crm_buf *b);	/* frees, back to empty */
void	 crm_buf_reset(struct crm_buf *b);	/* len = 0, keeps memory */
void	 crm_buf_grow(struct crm_buf *b, size_t extra);
void	 crm_buf_add(struct crm_buf *b, const void *p, size_t n);
void	 crm_buf_adds(struct crm_buf *b, const char *s);
void	 crm_buf_addch(struct crm_buf *b, int c);
void	 crm_buf_addf(struct crm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void	 crm_buf_vaddf(struct crm_buf *b, const char *fmt, va_list ap);
/* Hand the string to the caller (free() it); b is left empty. */
char	*crm_buf_detach(struct crm_buf *b);
/* The string, "" when nothing was added; valid until b changes. */
const char *crm_buf_str(const struct crm_buf *b);

/* Allocation that aborts with a message on exhaustion; free() the result. */
void	*crm_xmalloc(size_t n);
void	*crm_xcalloc(size_t n, size_t size);
void	*crm_xrealloc(void *p, size_t n);
char	*crm_xstrdup(const char *s);
char	*crm_xstrndup(const char *s, size_t n);

/* A NULL-terminated list of owned strings. */
struct crm_strv {
	char	**v;
	size_t	  n;
	size_t	  alloc;
};
#define CRM_STRV_INIT { NULL, 0, 0 }

void	 crm_strv_push(struct crm_strv *sv, const char *s);	/* copies s */
void	 crm_strv_clear(struct crm_strv *sv);			/* frees all */
/* Split s on sep, trimming blanks and skipping empty items; appends. */
void	 crm_strv_split(struct crm_strv *sv, const char *s, int sep);
int	 crm_strv_has(const struct crm_strv *sv, const char *s);

/* 1 when s is a row id as users write it: 1 to 18 decimal digits. */
int	 crm_is_id(const char *s);
/*
 * A name of a segment or campaign (a slug): 1 to CRM_NAME_MAX lowercase
 * ASCII letters, digits, - and _, starting with a letter or digit, not
 * all digits (that would read as an id); else a usage error naming what.
 */
/*
 * in[0..n) into out (NUL-terminated, at most outsz bytes) for a message:
 * each of the nsecret secrets (NULL or "" skipped) shown as "****",
 * control characters as blanks, trailing blanks dropped.
 */
void	 crm_scrub(const char *in, size_t n, const char *const *secret,
	    size_t nsecret, char *out, size_t outsz);

/* true, yes, 1, on: 1; false, no, 0, off: 0 (any case); else -1. */
int	 crm_parse_bool(const char *s);
#define CRM_NAME_MAX	64
struct crm_error *crm_name_check(const char *name, const char *what);

/* Trim ASCII white space in place; returns s. */
char	*crm_trim(char *s);

/*
 * Times are ISO 8601 UTC text, "2026-11-22T18:50:20Z": CRM_TIME_LEN bytes
 * with the NUL.  crm_time_now() honours CRM_NOW (an ISO time) so that
 * runs can be reproduced.
 */
#define CRM_TIME_LEN 21
time_t	 crm_time_now_t(void);
void	 crm_time_now(char out[CRM_TIME_LEN]);
void	 crm_time_format(time_t t, char out[CRM_TIME_LEN]);
/*
 * Parse an absolute or relative time: "2026-11-22", "2026-11-22T10:00",
 * "2026-11-22 10:00:00+01:00", "now", "today", "yesterday", "tomorrow",
 * "-30d", "+2w", "-6h", "-3mo", "+1y".  Returns 0 and writes the time in
 * out; sets *is_day (if not NULL) when the text names a whole day.  -1 for
 * text that is not a time.
 */
int	 crm_time_parse(const char *s, char out[CRM_TIME_LEN], int *is_day);
/* out = t + days whole days (for day ranges). */
void	 crm_time_add_days(const char in[CRM_TIME_LEN], int days,
	    char out[CRM_TIME_LEN]);

/* Edit distance between two strings, for "did you mean". */
size_t	 crm_levenshtein(const char *a, const char *b);
/*
 * The candidate nearest to word, or NULL when none is close enough to be
 * a plausible typo.  The result points into cands.
 */
const char *crm_suggest(const char *word, const char *const *cands,
	    size_t n);

/* The acting user: CRM_USER or the config key "user", else the login
 * name, else the uid. */
const char *crm_actor(void);

/* A 64-bit hash of s[0..n), ASCII letters folded with fold; seed varies
 * it. */
uint64_t crm_hash(const char *s, size_t n, int fold, uint64_t seed);

/*
 * A Bloom filter for bulk loads, blocked: the four bits of a key lie in
 * one 64-bit word, one cache miss a key instead of four, for a few more
 * false positives.  Sized at bits_per_key for keys keys, between 2^20 and
 * 2^26 bits (8 MB).
 */
struct crm_bloom {
	uint64_t	*w;
	uint64_t	 mask;
};
void	 crm_bloom_init(struct crm_bloom *b, uint64_t keys,
	    unsigned bits_per_key);
/* Add s (see crm_hash()); 1 when it may have been added before. */
int	 crm_bloom_seen(struct crm_bloom *b, const char *s, int fold,
	    uint64_t seed);
void	 crm_bloom_free(struct crm_bloom *b);

#endif
