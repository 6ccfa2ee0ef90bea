/* grade_host_main.c: the grader's main for an exercise's host test program
 * (tools/grade.py).  The exercise's test file is compiled with its main
 * renamed to exercise_host_main; this main runs one test of it (argv[1],
 * a cmocka test filter) and has cmocka write its verdicts as XML to the
 * file argv[2] names, which the grader chose at random for this run.  The
 * grader reads the verdict from that file and from the exit status, not
 * from what the program prints: a student's file cannot forge a result by
 * printing cmocka's lines, and one that ends the program early leaves no
 * verdict at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

int exercise_host_main(void);

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TEST XMLFILE\n", argv[0]);
        return 2;
    }
    cmocka_set_test_filter(argv[1]);
    setenv("CMOCKA_MESSAGE_OUTPUT", "xml", 1);
    setenv("CMOCKA_XML_FILE", argv[2], 1);
    cmocka_set_message_output(CM_OUTPUT_XML);
    return exercise_host_main();
}
