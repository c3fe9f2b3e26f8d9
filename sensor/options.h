/* The command line, parsed into one struct that main hands to the sensor.
 * Flags mirror Suricata's where it has one for the same thing. */
#ifndef XIEZHI_OPTIONS_H
#define XIEZHI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPTIONS_MAX_LIST 64

struct sensor_options {
    const char *config_file;                     /* -c */
    const char *interfaces[OPTIONS_MAX_LIST];    /* -i, repeatable */
    size_t ninterfaces;
    const char *read_paths[OPTIONS_MAX_LIST];    /* -r, repeatable */
    size_t nread_paths;
    const char *rule_files[OPTIONS_MAX_LIST];    /* -S: only these */
    size_t nrule_files;
    const char *extra_rule_files[OPTIONS_MAX_LIST]; /* -s: added to the configured */
    size_t nextra_rule_files;
    const char *overrides[OPTIONS_MAX_LIST];     /* --set key=value */
    size_t noverrides;
    const char *log_dir;                         /* -l */
    const char *bpf;                             /* trailing arguments, as in tcpdump */
    char bpf_text[4096];
    const char *pid_file;                        /* --pidfile (overrides pid-file) */
    const char *run_as_user;                     /* --user (overrides run-as.user) */
    const char *run_as_group;                    /* --group (overrides run-as.group) */
    bool test_only;                              /* -T */
    int verbosity;                               /* -v adds one, -q removes one */
};

/* Parses argv.  Returns 0 to run, 1 when the request was served (-h, -V),
 * 2 on a usage error (message already printed). */
int options_parse(struct sensor_options *opts, int argc, char **argv);
void options_usage(FILE *out);

#endif
