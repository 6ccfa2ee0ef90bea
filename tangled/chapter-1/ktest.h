#line 692 "chapters/00-boot.nw"
/* ktest.h: in-kernel tests. */
#ifndef KTEST_H
#define KTEST_H

#include "kernel.h"

struct ktest {
    struct origin origin;       /* first: see table_sorted */
    const char *name;
    void (*run)(void);
};

#define KTEST(name)                                                     \
    static void name(void);                                             \
    static const struct ktest ktest_##name = { ORIGIN, #name, name };   \
    static const struct ktest *const ktest_ptr_##name                   \
        __attribute__((section("ktests"), used)) = &ktest_##name;       \
    static void name(void)

#line 725 "chapters/00-boot.nw"
void ktest_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ktest_fail_eq(const char *file, int line, const char *a, const char *b,
                   unsigned long long x, unsigned long long y);
bool ktest_streq(const char *a, const char *b);
void ktest_take_grade_nonce(void);

#define KCHECK(cond)                                                    \
    do {                                                                \
        if (!(cond))                                                    \
            ktest_fail(__FILE__, __LINE__, "%s", #cond);                \
    } while (0)

#define KCHECK_EQ(a, b)                                                 \
    do {                                                                \
        unsigned long long a_ = (a), b_ = (b);                          \
        if (a_ != b_)                                                   \
            ktest_fail_eq(__FILE__, __LINE__, #a, #b, a_, b_);          \
    } while (0)

#line 713 "chapters/00-boot.nw"
void ktest_main(void) __attribute__((noreturn));

#endif
