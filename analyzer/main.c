/*
 * main.c - the lockhound command: `run` a program under the shim and report,
 * or `report` on logs recorded earlier (maybe elsewhere).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockhound_log.h"

int main(int argc, char **argv)
{
	/* the analyzer never fetches debug info over the network on its own;
	 * the programs lockhound starts (run's program, cc's compiler) get the
	 * variable back: their environment is theirs */
	{
		const char *u = getenv("DEBUGINFOD_URLS");
		cli_debuginfod_urls = u ? strdup(u) : NULL;
		unsetenv("DEBUGINFOD_URLS");
	}
	{
		/* the lockhound-cc / lockhound-c++ entry points (symlinks), for
		 * build systems that want a compiler without arguments */
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (!strcmp(base, "lockhound-cc")) {
			argv[0] = "cc";
			return cli_cc(argc, argv, 0);
		}
		if (!strcmp(base, "lockhound-c++")) {
			argv[0] = "c++";
			return cli_cc(argc, argv, 1);
		}
	}
	if (argc < 2) {
		cli_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cli_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cc"))
		return cli_cc(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "c++"))
		return cli_cc(argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "report"))
		return cli_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("lockhound %s (log format %d)\n", LOCKHOUND_VERSION, LH_LOG_FORMAT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		cli_usage(stdout);
		return 0;
	}
	fprintf(stderr, "lockhound: unknown command '%s' (expected run, report, cc or c++; see lockhound --help)\n",
	        argv[1]);
	return 2;
}
