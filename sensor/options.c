/* Command-line parsing (getopt_long) and the version report. */
#include "options.h"

#include <getopt.h>
#include <hiredis/hiredis.h>
#include <maxminddb.h>
#include <ndpi/ndpi_api.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"

void options_usage(FILE *out)
{
    fprintf(out,
            "usage: xiezhi [options] [bpf filter]\n"
            "  -c FILE         configuration file (YAML); built-in defaults without it\n"
            "  -i IFACE        capture live on an interface (repeatable)\n"
            "  -r PATH         read a pcap/pcapng file or a directory of them (repeatable)\n"
            "  -S FILE         load only this rule file (repeatable)\n"
            "  -s FILE         load this rule file besides the configured ones (repeatable)\n"
            "  -l DIR          log directory for eve.json and stats\n"
            "  -T              test the configuration and rules, then exit\n"
            "  --set KEY=VAL   override a configuration key (e.g. outputs.redis.enabled=yes)\n"
            "  --pidfile FILE  write the process id to FILE (live capture)\n"
            "  --user USER     drop to this user after opening the capture\n"
            "  --group GROUP   and this group (default: the user's group)\n"
            "  -v / -q         more / less logging (repeatable)\n"
            "  -V              print the version and library versions\n"
            "  --build-info    version, libraries and compiled-in features\n"
            "  --list-keywords every rule keyword: name - description - documentation\n"
            "                  (--list-keywords=markdown: docs/rules.md's table)\n"
            "  -h              this help\n"
            "exit codes: 0 ok, 1 runtime failure, 2 usage, config or rule error\n");
}

static void print_version(void)
{
    printf("xiezhi %s\n", XIEZHI_VERSION);
    printf("  nDPI %s\n", ndpi_revision());
    printf("  %s\n", pcap_lib_version());
    printf("  hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    printf("  libmaxminddb %s\n", MMDB_lib_version());
}

/* As `suricata --build-info`: what this binary was built with. */
static void print_build_info(void)
{
    print_version();
    /* Every library below is required at build time, so these are fixed. */
    printf("Features: NDPI LIBPCAP HIREDIS MAXMINDDB PCRE2 LIBYAML LIBCAP_NG AF_PACKET_FANOUT\n");
    printf("  compiler: %s\n", __VERSION__);
    printf("  C standard: %ld\n", (long)__STDC_VERSION__);
#ifdef __SANITIZE_ADDRESS__
    printf("  sanitizers: address\n");
#endif
    printf("  data directory: %s\n", XIEZHI_DATADIR);
}

static int list_keywords(const char *format)
{
    if (format && strcmp(format, "markdown") != 0) {
        fprintf(stderr, "xiezhi: --list-keywords takes no value or 'markdown'\n");
        return 2;
    }
    keyword_list_print(stdout, format != NULL);
    return 1;
}

static int push(const char **list, size_t *n, const char *value, const char *what)
{
    if (*n >= OPTIONS_MAX_LIST) {
        fprintf(stderr, "xiezhi: too many %s (at most %d)\n", what, OPTIONS_MAX_LIST);
        return -1;
    }
    list[(*n)++] = value;
    return 0;
}

int options_parse(struct sensor_options *opts, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "set", required_argument, NULL, 'O' },
        { "pidfile", required_argument, NULL, 'P' },
        { "user", required_argument, NULL, 'U' },
        { "group", required_argument, NULL, 'G' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "build-info", no_argument, NULL, 'B' },
        { "list-keywords", optional_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    memset(opts, 0, sizeof *opts);
    optind = 1;
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":c:i:r:S:s:l:TvqVh", long_options, NULL)) != -1) {
        switch (c) {
        case 'c': opts->config_file = optarg; break;
        case 'i': rc = push(opts->interfaces, &opts->ninterfaces, optarg, "interfaces"); break;
        case 'r': rc = push(opts->read_paths, &opts->nread_paths, optarg, "-r paths"); break;
        case 'S': rc = push(opts->rule_files, &opts->nrule_files, optarg, "-S files"); break;
        case 's': rc = push(opts->extra_rule_files, &opts->nextra_rule_files, optarg, "-s files"); break;
        case 'l': opts->log_dir = optarg; break;
        case 'T': opts->test_only = true; break;
        case 'O': rc = push(opts->overrides, &opts->noverrides, optarg, "--set overrides"); break;
        case 'P': opts->pid_file = optarg; break;
        case 'U': opts->run_as_user = optarg; break;
        case 'G': opts->run_as_group = optarg; break;
        case 'v': opts->verbosity++; break;
        case 'q': opts->verbosity--; break;
        case 'V': print_version(); return 1;
        case 'B': print_build_info(); return 1;
        case 'K': return list_keywords(optarg);
        case 'h': options_usage(stdout); return 1;
        case ':':
            fprintf(stderr, "xiezhi: option '%s' needs an argument\n", argv[optind - 1]);
            options_usage(stderr);
            return 2;
        default:
            fprintf(stderr, "xiezhi: unknown option '%s'\n", argv[optind - 1]);
            options_usage(stderr);
            return 2;
        }
    }
    if (rc)
        return 2;
    if (optind < argc) {
        /* Trailing words form a BPF filter, as with tcpdump and Suricata. */
        size_t need = 1;
        for (int i = optind; i < argc; i++)
            need += strlen(argv[i]) + 1;
        char *bpf = opts->bpf_text;
        if (need > sizeof opts->bpf_text) {
            fprintf(stderr, "xiezhi: BPF filter too long\n");
            return 2;
        }
        bpf[0] = '\0';
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                strcat(bpf, " ");
            strcat(bpf, argv[i]);
        }
        opts->bpf = bpf;
    }
    if (opts->ninterfaces && opts->nread_paths) {
        fprintf(stderr, "xiezhi: -i and -r cannot be combined\n");
        return 2;
    }
    return 0;
}
