/* reader.h: comment records from JSONL, CSV, TSV and plain-text dumps,
 * gzip-compressed or not, from a file or stdin. */
#ifndef CHAFF_READER_H
#define CHAFF_READER_H

#include <stddef.h>

#include "chaff.h"

enum chaff_format { CHAFF_FMT_AUTO, CHAFF_FMT_JSONL, CHAFF_FMT_CSV, CHAFF_FMT_TSV, CHAFF_FMT_TEXT };

/* "auto", "jsonl", "csv", "tsv", "text". */
const char *chaff_format_name(int format);
/* The format named s (also "json", "ndjson", "txt"), or -1. */
int chaff_format_parse(const char *s);

#define CHAFF_DEFAULT_MAX_BYTES (1024 * 1024)

struct chaff_reader_opts {
    int format;             /* enum chaff_format */
    const char *text_field; /* NULL: "text" (JSONL) or text/content/body/comment (CSV, TSV) */
    const char *id_field;   /* NULL: "id" (also comment_id for CSV and TSV) */
    size_t max_bytes;       /* 0: CHAFF_DEFAULT_MAX_BYTES */
    int lenient_labels;     /* 1: a label that is not human, low-effort or
                               machine is no error (label -1, label_raw set);
                               for scoring, where labels are not used */
};

/* One record. Every pointer is owned by the reader and valid until the
 * next call to chaff_reader_next() or chaff_reader_close(). Strings are
 * NUL-terminated valid UTF-8 (invalid bytes became U+FFFD) and may contain
 * NUL bytes: use the lengths. */
struct chaff_record {
    const char *source;     /* the path as given; "-" for stdin */
    unsigned long line;     /* 1-based line where the record starts */
    unsigned long index;    /* 1-based record number in this source */
    const char *id;         /* NULL if the record has none */
    const char *author;     /* NULL if none */
    const char *created_at; /* NULL if none */
    int label;              /* enum chaff_label, or -1 (none) */
    const char *label_raw;  /* the label as written, NULL if none */
    const char *text;
    size_t text_len;
    size_t n_replaced; /* invalid UTF-8 bytes replaced in this record */
};

typedef struct chaff_reader chaff_reader;

/* Opens path ("-" is stdin). gzip input is detected by its magic bytes.
 * A missing, unreadable or directory path gives CHAFF_EIO with the reason
 * in diag. *out is the caller's (chaff_reader_close). */
chaff_err chaff_reader_open(const char *path, const struct chaff_reader_opts *opts, chaff_reader **out,
                            struct chaff_diag *diag);

/* Reads the next record into *rec. At the end of input returns CHAFF_OK
 * and sets *rec to NULL. CHAFF_EBADREC and CHAFF_ETOOBIG report one bad
 * record ("FILE:LINE: reason" in diag): the caller may call again to go on.
 * CHAFF_EIO (a read error, truncated gzip data) and CHAFF_ENOMEM end the
 * input: later calls give the end of input. */
chaff_err chaff_reader_next(chaff_reader *r, const struct chaff_record **rec, struct chaff_diag *diag);

/* The format in use (after sniffing) and the total of replaced bytes. */
int chaff_reader_format(const chaff_reader *r);

/* Line where the last record (good or bad) started. */
unsigned long chaff_reader_record_line(const chaff_reader *r);

/* The current record's JSON text (JSONL only), for echoing it: its line as
 * read, without the line end or a leading BOM, with invalid UTF-8 replaced
 * by U+FFFD, so valid UTF-8 that parses to one JSON object. *len is its
 * length; it is also NUL-terminated (valid JSON holds no raw NUL byte).
 * Owned by the reader, valid until the next chaff_reader_next() or
 * chaff_reader_close(). NULL with *len 0 when the last call gave no good
 * JSONL record (another format, a bad record, the end of input). */
const char *chaff_reader_raw(const chaff_reader *r, size_t *len);

/* Closes; NULL is a no-op. */
void chaff_reader_close(chaff_reader *r);

#endif
