/*
 * Stream input: records as JSON Lines or CSV, and references one a line.
 * Constant memory: one record is held at a time.
 */
#ifndef CRM_STREAM_H
#define CRM_STREAM_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "crm_error.h"

enum crm_input {
	CRM_IN_AUTO,	/* the first byte past a BOM and blanks: "{" is JSONL */
	CRM_IN_JSONL,
	CRM_IN_CSV
};

struct crm_reader;

/*
 * A reader on fp (borrowed; not closed).  name is used in messages
 * ("stdin" for standard input, else the file name).  Free with
 * crm_reader_free().
 */
struct crm_reader *crm_reader_new(FILE *fp, const char *name,
	    enum crm_input kind);

/*
 * The next record: returns 1 and sets *rec (an object the caller frees
 * with cJSON_Delete), 0 at the end of input, or -1 and sets *err for a bad
 * record ("line 42: ..."): the reader has skipped it and may be called
 * again to go on; err->code is CRM_EXIT_FAIL.  An I/O error is -1 too, and
 * the next call returns 0.
 *
 * JSONL: each non-blank line must be one JSON object; UTF-8 only.  CSV:
 * RFC 4180 with a header line naming the fields (a BOM is skipped, CRLF or
 * LF line ends, quoted fields may hold newlines); every value is a string;
 * a row with more or fewer fields than the header, an unterminated quote,
 * a duplicate or empty header name, and invalid UTF-8 are errors.
 */
int	 crm_reader_next(struct crm_reader *r, cJSON **rec,
	    struct crm_error **err);
/*
 * The same without an object a CSV row: *vals holds its fields, one a
 * header column (crm_reader_header()), NUL-terminated, valid until the
 * next call; a JSONL record comes in *rec as above.
 */
int	 crm_reader_next_row(struct crm_reader *r, char ***vals, cJSON **rec,
	    struct crm_error **err);
/* The line on which the last record returned (or refused) began. */
long	 crm_reader_line(const struct crm_reader *r);
/* CSV only: the header names in order (borrowed); NULL before the first
 * record or for JSONL. */
const char *const *crm_reader_header(const struct crm_reader *r, size_t *n);
void	 crm_reader_free(struct crm_reader *r);

/*
 * References, one a line: a bare reference (trimmed: "12",
 * "ada@example.org", "ext:A-17"), or a JSON object from which the first of
 * keys (a NULL-terminated list, e.g. { "contact_id", "id", NULL }) that is
 * present is taken, as a number or a string.  Blank lines are skipped.
 */
struct crm_refs;

struct crm_refs *crm_refs_new(FILE *fp, const char *name,
	    const char *const *keys);
/*
 * 1 with *ref set (the caller frees it with free()), 0 at the end, -1 with
 * *err for a bad line (the reader goes on at the next one).
 */
int	 crm_refs_next(struct crm_refs *r, char **ref, struct crm_error **err);
long	 crm_refs_line(const struct crm_refs *r);
void	 crm_refs_free(struct crm_refs *r);

/*
 * UTF-8: crm_utf8_check returns 1 when s[0..n) is valid UTF-8 (no
 * overlongs, no surrogates, nothing above U+10FFFF), else 0 with *bad the
 * byte offset of the first invalid sequence (bad may be NULL).
 */
int	 crm_utf8_check(const char *s, size_t n, size_t *bad);
/* Display width in terminal columns of valid UTF-8 s[0..n). */
size_t	 crm_utf8_width(const char *s, size_t n);

#endif
