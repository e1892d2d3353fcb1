/*
 * crm: the front.  "crm contact list ..." runs "crm-contact list ...",
 * found beside this program or on PATH; "crm" alone lists the commands.
 * See crm(1).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_error.h"
#include "crm_util.h"

static const struct {
	const char *name;
	const char *summary;
} commands[] = {
	{ "contact", "people and companies, tags, custom fields" },
	{ "deal", "deals moving through pipelines" },
	{ "ticket", "helpdesk tickets, mail in and out" },
	{ "segment", "named groups of contacts" },
	{ "campaign", "email and webhook campaigns" },
	{ "report", "sales, service and marketing reports" },
	{ "db", "the database: init, backup, restore, events" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The directory of this program, or "" (then PATH alone is searched). */
static void
own_dir(char *dir, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", dir, n - 1);
	char *slash;

	if (len <= 0) {
		dir[0] = '\0';
		return;
	}
	dir[len] = '\0';
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		dir[0] = '\0';
}

/*
 * The path of crm-NAME beside us, or "crm-NAME" for a PATH search, in
 * path (reset first); 0 when there is none.
 */
static int
find(const char *name, struct crm_buf *path)
{
	char dir[PATH_MAX];
	struct crm_buf b = CRM_BUF_INIT;
	const char *p, *e;
	int found = 0;

	crm_buf_reset(path);
	own_dir(dir, sizeof(dir));
	if (dir[0] != '\0') {
		crm_buf_addf(path, "%s/crm-%s", dir, name);
		if (access(path->buf, X_OK) == 0)
			return 1;
		crm_buf_reset(path);
	}
	crm_buf_addf(path, "crm-%s", name);
	for (p = getenv("PATH"); p != NULL && *p != '\0' && !found; p = e) {
		e = strchr(p, ':');
		crm_buf_reset(&b);
		crm_buf_add(&b, p, e ? (size_t)(e - p) : strlen(p));
		crm_buf_addf(&b, "/crm-%s", name);
		found = access(b.buf, X_OK) == 0;
		e = e ? e + 1 : p + strlen(p);
	}
	crm_buf_release(&b);
	return found;
}

static void
list(FILE *fp)
{
	struct crm_buf path = CRM_BUF_INIT;
	size_t i;

	fprintf(fp, "usage: crm COMMAND [args]\n\n"
	    "crm is a customer-relationship toolkit: small commands over one "
	    "database.\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		if (find(commands[i].name, &path))
			fprintf(fp, "  %-10s %s\n", commands[i].name,
			    commands[i].summary);
	crm_buf_release(&path);
	fprintf(fp, "\nRun 'crm COMMAND --help' for its commands and "
	    "options; see crm(1) and crm(7).\n");
}

static int
run(const char *name, int argc, char **argv)
{
	struct crm_buf path = CRM_BUF_INIT;
	char prog[64];

	if (strchr(name, '/') != NULL || strlen(name) > 32 ||
	    !find(name, &path)) {
		fprintf(stderr, "crm: unknown command \"%s\" (run 'crm help' "
		    "for the list)\n", name);
		crm_buf_release(&path);
		return CRM_EXIT_USAGE;
	}
	snprintf(prog, sizeof(prog), "crm-%s", name);
	argv[0] = prog;
	(void)argc;
	if (strchr(path.buf, '/') != NULL)
		execv(path.buf, argv);
	else
		execvp(path.buf, argv);
	fprintf(stderr, "crm: %s: %s\n", path.buf, strerror(errno));
	crm_buf_release(&path);
	return CRM_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	struct crm_buf path = CRM_BUF_INIT;
	size_t i;
	int status;

	if (argc < 2) {
		list(stderr);
		return CRM_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc > 2 && argv[1][0] == 'h') {
			char *help[] = { argv[2], "--help", NULL };

			return run(argv[2], 2, help);
		}
		list(stdout);
	} else if (strcmp(argv[1], "--version") == 0)
		printf("crm %s\n", CRM_VERSION);
	else if (strcmp(argv[1], "--completion-helper") == 0) {
		for (i = 0; i < NCOMMANDS; i++)
			if (find(commands[i].name, &path))
				printf("%s\n", commands[i].name);
		crm_buf_release(&path);
	} else if (argv[1][0] == '-') {
		fprintf(stderr, "crm: unknown option %s\nusage: crm COMMAND "
		    "[args]\n", argv[1]);
		return CRM_EXIT_USAGE;
	} else
		return run(argv[1], argc - 1, argv + 1);
	status = fflush(stdout) == 0 ? 0 : CRM_EXIT_FAIL;
	return status;
}
