#define _GNU_SOURCE
#include "CSpawn.h"
#include <sys/mman.h>

int ppds_memory_file(void) { return memfd_create("ppds-stdin", 0); }
