/*
 * fuzz_logread.c - libFuzzer target for the log reader (analyzer/logread.c):
 * every input is read as a log from an exact-size buffer (so an over-read
 * trips ASan), then freed.  Built and run by `make fuzz` (FUZZ_TIME
 * seconds, seed corpus: real logs of the test programs, see the Makefile).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	/* a copy of exactly size bytes: the fuzzer's buffer may be larger */
	uint8_t *copy = malloc(size ? size : 1);
	struct lr_log *log;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	log = lr_read_mem("fuzz.log", copy, size, err, sizeof(err));
	lr_free(log);
	free(copy);
	return 0;
}
