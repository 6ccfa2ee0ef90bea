#line 1087 "chapters/00-workbench.nw"
/* ktest.c: run the in-kernel tests. */
#include "ktest.h"

#define KTEST_MAX 512

extern const struct ktest *const __start_ktests[], *const __stop_ktests[];
static int current_failures;

#line 1100 "chapters/00-workbench.nw"
void
ktest_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    kprintf("  check failed at %s:%d: ", file, line);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    current_failures++;
}
#line 1142 "chapters/00-workbench.nw"
bool
ktest_streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}
#line 1114 "chapters/00-workbench.nw"
void
ktest_main(void)
{
    static const struct ktest *table[KTEST_MAX];
    int n = table_sorted((const void *const *)__start_ktests,
                         (const void *const *)__stop_ktests, (const void **)table, KTEST_MAX);
    char only[64];
    bool one = cmdline_value("test", only, sizeof(only)) && only[0];
    int tests = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        const struct ktest *t = table[i];
        if (one && !ktest_streq(t->name, only))
            continue;
        current_failures = 0;
        t->run();
        tests++;
        failed += current_failures > 0;
        kprintf("ktest: %s ... %s\n", t->name, current_failures ? "FAILED" : "ok");
    }
    kprintf("ktest: %d tests, %d failures\n", tests, failed);
    qemu_exit(failed || !tests ? QEMU_EXIT_FAILURE : QEMU_EXIT_SUCCESS);
}
