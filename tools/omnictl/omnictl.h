/*
 * omnictl: one function per verb, each taking its own argv (argv[0] is the
 * verb) and returning an exit code.
 */

#ifndef OMNICTL_H_INCLUDED
#define OMNICTL_H_INCLUDED


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

/* true when argv holds -h or --help */
int omnictl_wants_help(int argc, char **argv);


#endif /* OMNICTL_H_INCLUDED */
