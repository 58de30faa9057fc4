/*
 * omnictl: one function per verb, each taking its own argv (argv[0] is the
 * verb) and returning an exit code.
 */

#ifndef OMNICTL_H_INCLUDED
#define OMNICTL_H_INCLUDED


#include <stdio.h>


#define OMNICTL_OK      0
#define OMNICTL_EDATA   1
#define OMNICTL_EUSAGE  2


typedef struct {
    const char  *name;
    const char  *summary;
    int        (*run)(int argc, char **argv);
} omnictl_verb_t;


int omnictl_gen_secret(int argc, char **argv);
int omnictl_check_campaigns(int argc, char **argv);
int omnictl_decide(int argc, char **argv);

/* reads a whole stream, at most max bytes; NULL on error or when longer */
char *omnictl_read_all(FILE *f, size_t max, size_t *len);

/* true when argv holds -h or --help */
int omnictl_wants_help(int argc, char **argv);


/* the profile store's verbs (omnictl_<verb>.c) */

#include <omni/cookie.h>


int omnictl_import(int argc, char **argv);
int omnictl_get(int argc, char **argv);
int omnictl_delete(int argc, char **argv);
int omnictl_export(int argc, char **argv);
int omnictl_stats(int argc, char **argv);
int omnictl_snapshot(int argc, char **argv);
int omnictl_link(int argc, char **argv);

/* helpers shared by the store verbs (omnictl_store.c) */
void omnictl_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* a visitor id, or a whole visitor cookie value */
int omnictl_parse_visitor(const char *text, omni_id_t *id);
/* "4096", "64k", "512m", "8g" */
int omnictl_parse_size(const char *text, size_t *size);
/* prints the verb's usage to stderr and returns OMNICTL_EUSAGE */
int omnictl_usage_error(const char *help, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;


/* tracking: abandoned carts and the activity records (omnictl_<verb>.c) */

#include <stdint.h>


int omnictl_abandoned(int argc, char **argv);
int omnictl_activity(int argc, char **argv);

/* "90", "30s", "30m", "24h", "7d", "2w" (omnictl_time.c) */
int omnictl_parse_duration(const char *text, int64_t *seconds);


#endif /* OMNICTL_H_INCLUDED */
