/* scorer.h: what libchaff's own modules may ask of a scorer beyond chaff.h. */
#ifndef CHAFF_SCORER_H
#define CHAFF_SCORER_H

#include "chaff.h"

/* The normalised (NFKC-casefolded) text of the last comment scored, owned
 * by the scorer and valid until its next use. */
const char *chaff_scorer_norm(const chaff_scorer *s, size_t *len);

#endif
