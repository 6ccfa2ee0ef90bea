#line 1489 "chapters/00-workbench.nw"
/* ktest.c: run the in-kernel tests. */
#include "ktest.h"
#include "multiboot.h"

#define KTEST_MAX 512

extern const struct ktest *const __start_ktests[], *const __stop_ktests[];
static int current_failures;
static bool is_crash_test(const char *name);
static const char *running;

#line 1505 "chapters/00-workbench.nw"
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

/* One value of a failed KCHECK_EQ: a small negative number (an error
 * code) signed, anything else in hex. */
static void
print_value(unsigned long long v)
{
    if ((long long)v < 0 && (long long)v >= -0x80000000ll)
        kprintf("%lld", (long long)v);
    else
        kprintf("0x%llx", v);
}

void
ktest_fail_eq(const char *file, int line, const char *a, const char *b,
              unsigned long long x, unsigned long long y)
{
    kprintf("  check failed at %s:%d: %s == %s (", file, line, a, b);
    print_value(x);
    kprintf(" != ");
    print_value(y);
    kprintf(")\n");
    current_failures++;
}
#line 1552 "chapters/00-workbench.nw"
static char grade_nonce[40];

void
ktest_take_grade_nonce(void)
{
    if (!boot_info || !(boot_info->flags & MULTIBOOT_INFO_CMDLINE))
        return;
    char *line = P2V(boot_info->cmdline);
    for (char *s = line; *s; s++) {
        static const char key[] = "grade=";
        size_t k = 0;
        while (key[k] && s[k] == key[k])
            k++;
        if (key[k] || (s > line && s[-1] != ' '))
            continue;
        for (size_t n = 0; s[k + n] && s[k + n] != ' '; n++)
            if (n + 1 < sizeof(grade_nonce))
                grade_nonce[n] = s[k + n];
        while (*s && *s != ' ')
            *s++ = ' ';
        return;
    }
}
#line 1662 "chapters/00-workbench.nw"
bool
ktest_streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}
#line 1578 "chapters/00-workbench.nw"
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
        if (one ? !ktest_streq(t->name, only) : is_crash_test(t->name))
            continue;
        current_failures = 0;
        running = t->name;
        t->run();
        stack_check();
        tests++;
        failed += current_failures > 0;
        kprintf("ktest: %s ... %s\n", t->name, current_failures ? "FAILED" : "ok");
        if (grade_nonce[0])
            kprintf("grade %s: %s %s\n", grade_nonce, t->name, current_failures ? "FAILED" : "ok");
    }
    if (one && tests == 0)
        kprintf("ktest: no test is named '%s'\n", only);
    kprintf("ktest: %d tests, %d failures\n", tests, failed);
    if (grade_nonce[0])
        kprintf("grade %s: %d tests, %d failures\n", grade_nonce, tests, failed);
    qemu_exit(failed || !tests ? QEMU_EXIT_FAILURE : QEMU_EXIT_SUCCESS);
}
#line 1620 "chapters/00-workbench.nw"
static const char *crash_expected;      /* the phrase its panic must contain */

static bool
is_crash_test(const char *name)
{
    const char *prefix = "crash_";
    while (*prefix && *name == *prefix)
        prefix++, name++;
    return !*prefix;
}

void
ktest_expect_crash(const char *phrase)
{
    crash_expected = phrase;
}

void
ktest_crash_check(const char *message)
{
    if (!crash_expected)
        return;
    for (const char *m = message; *m; m++) {
        size_t n = 0;
        while (crash_expected[n] && m[n] == crash_expected[n])
            n++;
        if (!crash_expected[n]) {
            kprintf("  (the panic this test expected)\nktest: %s ... ok\n", running);
            kprintf("ktest: 1 tests, 0 failures\n");
            qemu_exit(QEMU_EXIT_SUCCESS);
        }
    }
    kprintf("  check failed: the panic did not say \"%s\"\nktest: %s ... FAILED\n",
            crash_expected, running);
    kprintf("ktest: 1 tests, 1 failures\n");
}
