/*
 * Internal to lib/stream.c, lib/jsonl.c and lib/refs.c: the buffered
 * input the readers share, its line reader and the strict parse of one
 * JSON object.
 */
#ifndef CRM_STREAM_INT_H
#define CRM_STREAM_INT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_util.h"

#define CHUNK		(64 * 1024)
#define MAX_LINE	(64 * 1024 * 1024)

/* Buffered input shared by the readers. */
struct input {
	FILE	*fp;
	char	*buf;		/* CHUNK + 1 bytes */
	size_t	 pos, len;
	int	 eof;
	int	 ioerr;		/* errno of a failed read */
	long	 line;		/* line feeds consumed so far */
};

/* Read fp; in->buf is allocated here and freed by the caller. */
void	 stream_input_init(struct input *in, FILE *fp);
/* Refill the buffer; 0 at the end of input or after a read error. */
int	 stream_fill(struct input *in);
/* The read error in->ioerr as a new error (the caller frees it). */
struct crm_error *stream_read_error(struct input *in);
/* Skip a byte order mark and the blanks before the first datum. */
void	 stream_skip_lead(struct input *in);
/*
 * The next line without its LF in *s, n bytes, NUL-terminated, writable
 * and valid until the next call.  Returns 1; 0 at the end of input; -1
 * with *err (the caller frees it).  in->line is then the line's number.
 */
int	 stream_next_line(struct input *in, struct crm_buf *acc, char **s,
	    size_t *n, struct crm_error **err);
/*
 * Parse s[0..n), NUL-terminated, as one JSON object: 1 with *obj (the
 * caller deletes it), or -1 with *err naming line.
 */
int	 stream_parse_object(const char *s, size_t n, long line, cJSON **obj,
	    struct crm_error **err);

#endif
