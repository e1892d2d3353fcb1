/*
 * Errors returned by the library.  Every fallible library call returns a
 * struct crm_error * that is NULL on success; the caller owns a non-NULL
 * result and frees it with crm_error_free().  The library never prints and
 * never exits: main() prints the message once and exits with err->code.
 */
#ifndef CRM_ERROR_H
#define CRM_ERROR_H

/* Exit status, the same for every command (crm(7), EXIT STATUS). */
#define CRM_EXIT_OK		0
#define CRM_EXIT_FAIL		1	/* failed or done only in part */
#define CRM_EXIT_USAGE		2	/* bad option, filter, template */
#define CRM_EXIT_TEMPFAIL	75	/* busy, 4xx, no answer: retry */

struct crm_error {
	int	 code;		/* one of CRM_EXIT_* */
	char	*msg;		/* lowercase, no final stop */
};

/* A new error with a printf-style message; never returns NULL. */
struct crm_error *crm_error_new(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Prefix the message of err with "PREFIX: " (where it happened) and return
 * err; NULL passes through untouched.
 */
struct crm_error *crm_error_prefix(struct crm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void crm_error_free(struct crm_error *err);

#endif
