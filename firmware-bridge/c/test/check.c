#include "check.h"

int check_failures = 0;
int check_count = 0;

void check_dump(const char *label, const unsigned char *b, size_t n)
{
    size_t i;
    fprintf(stderr, "%s (%u):", label, (unsigned)n);
    for (i = 0; i < n; i++) fprintf(stderr, " %02x", b[i]);
    fprintf(stderr, "\n");
}
