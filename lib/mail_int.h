/*
 * Shared by mail.c and mail_header.c; not for other modules (crm_mail.h
 * is the interface).
 */
#ifndef CRM_MAIL_INT_H
#define CRM_MAIL_INT_H

#include "crm_email.h"
#include "crm_error.h"
#include "crm_mail.h"
#include "crm_util.h"

/* s checked as a header value and an ASCII address, normalised into out;
 * errors are prefixed with what ("from: ..."). */
struct crm_error *mail_check_email(const char *what, const char *s,
	    char out[CRM_EMAIL_MAX]);
/* "Name: addr, addr" for the n addresses a (n >= 1), folded. */
struct crm_error *mail_add_addrs(struct crm_buf *b, const char *name,
	    const struct crm_mail_addr *a, size_t n);
/* "Name: <id> <id>" for n msg-ids (none: nothing), folded. */
struct crm_error *mail_add_ids(struct crm_buf *b, const char *name,
	    const char *const *ids, size_t n);
/* An extra header: its name checked, not one the composer writes. */
struct crm_error *mail_add_extra(struct crm_buf *b,
	    const struct crm_mail_header *h);

#endif
