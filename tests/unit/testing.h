/* testing.h: what the cmocka unit tests share. Include after <cmocka.h>. */
#ifndef CHAFF_TESTING_H
#define CHAFF_TESTING_H

/* cmocka 1.1 compares only floats: a double comparison with a message. */
#define assert_near(got, want, eps)                                                                                    \
    do {                                                                                                               \
        double got_ = (got), want_ = (want);                                                                           \
        if (!(got_ - want_ <= (eps) && want_ - got_ <= (eps)))                                                         \
            fail_msg("%s is %.17g, expected %.17g", #got, got_, want_);                                                \
    } while (0)

#endif
