/* main.c -- command line, start-up and exit status. */
#include "autoconf.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/thread.h>

#include "config.h"
#include "daemon.h"
#include "fds.h"
#include "log.h"
#include "service.h"

#ifndef TAILMUX_CONFIG_FILE
#define TAILMUX_CONFIG_FILE "/etc/tailmux/tailmux.ini"
#endif

#define EXIT_USAGE 2
#define EXIT_CONFIG 78 /* EX_CONFIG */

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: tailmux [-c FILE] [-t|--check-config] [--once] "
	        "[-V|--version] [-h|--help]\n"
	        "  -c, --config FILE   configuration file (default %s)\n"
	        "  -t, --check-config  check the configuration and exit\n"
	        "      --once          merge what the inputs hold now, then "
	        "exit\n"
	        "  -V, --version       print the version and exit\n"
	        "  -h, --help          print this help and exit\n",
	        TAILMUX_CONFIG_FILE);
}

/* Loads the configuration, printing every error; NULL if there were any. */
static struct config *
main_load(const char *file)
{
	struct config_errors errs = {0};
	struct config *cfg = config_load(file, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_clear(&errs);
	return cfg;
}

/* The one line -t prints for a good configuration. */
static void
main_summary(const struct config *cfg)
{
	size_t npaths = 0;
	char inc[64] = "";

	for (size_t i = 0; i < cfg->ninputs; i++)
		npaths += cfg->inputs[i].npaths;
	if (cfg->nincluded > 0)
		snprintf(inc, sizeof inc, ", %zu included file%s",
		         cfg->nincluded, cfg->nincluded == 1 ? "" : "s");
	printf("%s: OK: %zu input%s (%zu path%s%s) -> %s (%s), %u worker%s\n",
	       cfg->file, cfg->ninputs, cfg->ninputs == 1 ? "" : "s", npaths,
	       npaths == 1 ? "" : "s", inc, cfg->output_path,
	       config_format_name(cfg->format), cfg->workers,
	       cfg->workers == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->nforwards; i++) {
		const struct config_forward *fw = &cfg->forwards[i];
		char window[32] = "";

		if (fw->protocol == FORWARD_RELP)
			snprintf(window, sizeof window, ", window %u",
			         fw->window);
		printf("%s: forward %s: %s to %s:%s (%s)%s\n", cfg->file,
		       fw->name, config_forward_protocol_name(fw->protocol),
		       fw->host, fw->port,
		       config_forward_format_name(fw->format), window);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 't'},
	    {"once", no_argument, NULL, 'o'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = TAILMUX_CONFIG_FILE;
	int check = 0, once = 0, ch, status;
	struct config *cfg;
	struct daemon d;

	while ((ch = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 'V':
			printf("tailmux %s\nsystemd: %s\n", PACKAGE_VERSION,
			       service_supported() ? "yes" : "no");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tailmux: unexpected argument: %s\n",
		        argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	log_init(LOG_LEVEL_INFO);
	cfg = main_load(file);
	if (cfg == NULL)
		return EXIT_CONFIG;
	if (check) {
		main_summary(cfg);
		config_free(cfg);
		return 0;
	}
	log_set_level((enum log_level)cfg->log_level);
	fds_raise();

	/* Read buffers (256 KiB) are allocated by workers and freed by the
	 * loop at a high rate: keep them in the heap for reuse instead of
	 * mapping and faulting in fresh pages for each one. */
	mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() == -1) {
		log_errx("libevent has no pthreads support");
		config_free(cfg);
		return 1;
	}
	if (daemon_init(&d, cfg, once) == -1) {
		daemon_free(&d);
		return 1;
	}
	status = daemon_run(&d);
	daemon_free(&d);
	log_flush();
	return status;
}
