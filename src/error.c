/* error.c: error strings, label and action names. */
#include <string.h>

#include "chaff.h"

const char *chaff_strerror(chaff_err err)
{
    switch (err) {
    case CHAFF_OK: return "success";
    case CHAFF_ENOMEM: return "out of memory";
    case CHAFF_EINVAL: return "invalid argument";
    case CHAFF_EIO: return "input/output error";
    case CHAFF_EBADREC: return "malformed record";
    case CHAFF_ETOOBIG: return "over the size limit";
    case CHAFF_EMODEL: return "invalid model";
    case CHAFF_EMISMATCH: return "model built for another feature set";
    case CHAFF_EDB: return "database error";
    case CHAFF_EBUSY: return "database is locked";
    case CHAFF_EFULL: return "disk or database full";
    case CHAFF_EREADONLY: return "database is read-only";
    case CHAFF_ESCHEMA: return "database schema is newer than this chaff";
    case CHAFF_ETRAIN: return "training failed";
    }
    return "unknown error";
}

static const char *const label_names[CHAFF_NLABELS] = {"human", "low-effort", "machine"};

const char *chaff_label_name(int label)
{
    if (label < 0 || label >= CHAFF_NLABELS)
        return "?";
    return label_names[label];
}

int chaff_label_parse(const char *s, size_t len)
{
    for (int i = 0; i < CHAFF_NLABELS; i++) {
        if (strlen(label_names[i]) == len && memcmp(label_names[i], s, len) == 0)
            return i;
    }
    return -1;
}

const char *chaff_action_name(int action)
{
    switch (action) {
    case CHAFF_PASS: return "pass";
    case CHAFF_REVIEW: return "review";
    case CHAFF_HOLD: return "hold";
    }
    return "?";
}

const char *chaff_version(void)
{
    return CHAFF_VERSION;
}
