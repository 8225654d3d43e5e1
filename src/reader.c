/* reader.c: JSONL (jansson), CSV (libcsv), TSV and plain text, through
 * zlib's gz* functions so that gzip input is read transparently. */
#include "reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "normalize.h"
#include "util.h"

#define READ_CHUNK 65536

static const char *const format_names[] = {"auto", "jsonl", "csv", "tsv", "text"};

const char *chaff_format_name(int format)
{
    if (format < 0 || format > CHAFF_FMT_TEXT)
        return "?";
    return format_names[format];
}

int chaff_format_parse(const char *s)
{
    for (int i = 0; i <= CHAFF_FMT_TEXT; i++) {
        if (strcmp(s, format_names[i]) == 0)
            return i;
    }
    if (strcmp(s, "json") == 0 || strcmp(s, "ndjson") == 0)
        return CHAFF_FMT_JSONL;
    if (strcmp(s, "txt") == 0)
        return CHAFF_FMT_TEXT;
    return -1;
}

/* Column names searched when no --text-field is given, in order. */
static const char *const text_columns[] = {"text", "content", "body", "comment", NULL};
static const char *const id_columns[] = {"id", "comment_id", NULL};
static const char *const author_columns[] = {"author", "user", "username", NULL};
static const char *const date_columns[] = {"created_at", "date", "timestamp", "time", NULL};
static const char *const label_columns[] = {"label", "class", NULL};

struct columns {
    int text, id, author, created, label;
    int label_is_class; /* UCI YouTube CLASS: 1 spam, 0 ham */
    size_t n;           /* columns in the header */
};

struct chaff_reader {
    int fd;
    int gz_mode; /* input starts with the gzip magic bytes */
    z_stream z;
    int z_ready, z_member_done;
    unsigned char *zin; /* raw (compressed) bytes */
    size_t zin_len, zin_pos;
    int zin_eof;
    char *path;
    int format;
    char *text_field;
    char *id_field;
    size_t max_bytes;
    int lenient_labels; /* an unknown label is no error (label -1) */
    int dead;           /* a fatal error ended this input */

    /* line reader */
    char *in;
    size_t in_len, in_pos;
    int in_eof;
    int skip_lf;    /* the last line ended in CR: drop a following LF */
    int first_line; /* strip a BOM from the first line */
    struct chaff_buf line;
    struct chaff_buf skel; /* CSV: quotes and commas of the part not kept */
    size_t line_bytes;     /* true length of the line, even when not kept */
    unsigned long lineno;
    int have_peek; /* line holds a line read ahead for sniffing */

    /* record */
    struct chaff_buf text, id, author, created, label, tmp;
    int raw_ok; /* tmp holds the current JSONL record's repaired line */
    struct chaff_record rec;
    unsigned long index;

    /* TSV and CSV */
    int header_done;
    int tsv_header;
    struct columns col;
    char **hdr;
    size_t nhdr;

    /* CSV */
    struct csv_parser csv;
    int csv_ready;
    int oom; /* an allocation failed in a libcsv callback */
    struct chaff_buf *fields;
    size_t nfields, fields_cap;
    size_t row_bytes;
    int row_oversize;       /* the current row is over max_bytes: skipped */
    unsigned long row_line; /* line where the current row started */
    int row_done;
    int row_pending_start;
};

/* Reads up to cap raw bytes; a pipe returns what it has (no waiting for a
 * full buffer), so that chaff filter answers each line as it arrives. */
static ssize_t raw_read(chaff_reader *r, unsigned char *buf, size_t cap)
{
    /* A signal ends the read (EINTR): the caller, which installed the
     * handler, decides whether to stop; a quiet writer must not keep
     * chaff from answering SIGINT or SIGTERM. */
    return read(r->fd, buf, cap);
}

static chaff_err fill(chaff_reader *r, struct chaff_diag *diag)
{
    if (r->in_eof)
        return CHAFF_OK;
    r->in_len = r->in_pos = 0;
    if (!r->gz_mode) {
        if (r->zin_len > r->zin_pos) { /* bytes read while sniffing */
            size_t n = r->zin_len - r->zin_pos;
            memcpy(r->in, r->zin + r->zin_pos, n);
            r->zin_pos = r->zin_len;
            r->in_len = n;
            return CHAFF_OK;
        }
        ssize_t n = raw_read(r, (unsigned char *)r->in, READ_CHUNK);
        if (n < 0) {
            r->dead = 1;
            r->in_eof = 1;
            return chaff_diagf(diag, CHAFF_EIO, "%s:%lu: read error: %s", r->path, r->lineno + 1, strerror(errno));
        }
        if (n == 0)
            r->in_eof = 1;
        r->in_len = (size_t)n;
        return CHAFF_OK;
    }
    /* gzip: inflate what is buffered, reading more when it runs dry */
    for (;;) {
        if (r->zin_pos == r->zin_len && !r->zin_eof) {
            ssize_t n = raw_read(r, r->zin, READ_CHUNK);
            if (n < 0) {
                r->dead = 1;
                r->in_eof = 1;
                return chaff_diagf(diag, CHAFF_EIO, "%s:%lu: read error: %s", r->path, r->lineno + 1, strerror(errno));
            }
            r->zin_len = (size_t)n;
            r->zin_pos = 0;
            if (n == 0)
                r->zin_eof = 1;
        }
        if (r->zin_pos == r->zin_len && r->zin_eof) {
            r->in_eof = 1;
            if (!r->z_member_done) {
                r->dead = 1;
                return chaff_diagf(diag, CHAFF_EIO,
                                   "%s:%lu: truncated gzip data: the file ends inside a compressed block", r->path,
                                   r->lineno + 1);
            }
            return CHAFF_OK;
        }
        if (r->z_member_done) { /* another gzip member follows */
            if (inflateReset(&r->z) != Z_OK)
                return CHAFF_ENOMEM;
            r->z_member_done = 0;
        }
        r->z.next_in = r->zin + r->zin_pos;
        r->z.avail_in = (uInt)(r->zin_len - r->zin_pos);
        r->z.next_out = (Bytef *)r->in;
        r->z.avail_out = READ_CHUNK;
        int zr = inflate(&r->z, Z_NO_FLUSH);
        r->zin_pos = r->zin_len - r->z.avail_in;
        r->in_len = READ_CHUNK - r->z.avail_out;
        if (zr == Z_MEM_ERROR)
            return CHAFF_ENOMEM;
        if (zr == Z_STREAM_END) {
            r->z_member_done = 1;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            r->dead = 1;
            r->in_eof = 1;
            return chaff_diagf(diag, CHAFF_EIO, "%s:%lu: corrupt gzip data: %s", r->path, r->lineno + 1,
                               r->z.msg ? r->z.msg : "inflate failed");
        }
        if (r->in_len)
            return CHAFF_OK;
    }
}

/* Reads one line (terminated by LF, CRLF or CR) into r->line, keeping at
 * most max_bytes + 1 bytes. Sets *got to 0 at the end of input. */
static chaff_err read_line(chaff_reader *r, int *got, struct chaff_diag *diag)
{
    if (r->have_peek) {
        r->have_peek = 0;
        r->lineno++; /* sniff() took the peeked line's count back */
        *got = 1;
        return CHAFF_OK;
    }
    r->line.len = 0;
    r->skel.len = 0;
    r->line_bytes = 0;
    int any = 0;
    for (;;) {
        if (r->in_pos == r->in_len) {
            chaff_err err = fill(r, diag);
            if (err)
                return err;
            if (r->in_eof)
                break;
        }
        if (r->skip_lf) {
            r->skip_lf = 0;
            if (r->in[r->in_pos] == '\n') {
                r->in_pos++;
                continue;
            }
        }
        any = 1;
        const char *p = r->in + r->in_pos;
        size_t avail = r->in_len - r->in_pos;
        size_t k = 0;
        while (k < avail && p[k] != '\n' && p[k] != '\r')
            k++;
        size_t keep = k;
        if (r->line.len + keep > r->max_bytes + 1)
            keep = r->line.len > r->max_bytes + 1 ? 0 : r->max_bytes + 1 - r->line.len;
        chaff_err err = chaff_buf_append(&r->line, p, keep);
        if (err)
            return err;
        /* CSV: the quotes and commas of what is not kept still decide where
         * the row ends; keep them (bounded) so the parser stays in step */
        if (r->format == CHAFF_FMT_CSV) {
            for (size_t i = keep; i < k && !err; i++) {
                if ((p[i] == '"' || p[i] == ',') && r->skel.len <= r->max_bytes)
                    err = chaff_buf_append(&r->skel, p + i, 1);
            }
            if (err)
                return err;
        }
        r->line_bytes += k;
        r->in_pos += k;
        if (k < avail) {
            if (p[k] == '\r')
                r->skip_lf = 1;
            r->in_pos++;
            break;
        }
    }
    if (!any) {
        *got = 0;
        return CHAFF_OK;
    }
    if (!r->line.data) {
        chaff_err err = chaff_buf_reserve(&r->line, 0);
        if (err)
            return err;
        r->line.data[0] = '\0';
    }
    r->lineno++;
    if (r->first_line) {
        r->first_line = 0;
        if (r->line.len >= 3 && memcmp(r->line.data, "\xEF\xBB\xBF", 3) == 0) {
            memmove(r->line.data, r->line.data + 3, r->line.len - 2);
            r->line.len -= 3;
            r->line_bytes -= 3;
        }
    }
    *got = 1;
    return CHAFF_OK;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    }
    return 1;
}

/* Copies s[0..n) as repaired UTF-8 into b; adds the replaced bytes. */
static chaff_err set_field(chaff_reader *r, struct chaff_buf *b, const char *s, size_t n)
{
    size_t rep = 0;
    b->len = 0;
    chaff_err err = chaff_utf8_sanitize(s, n, b, &rep);
    if (err)
        return err;
    if (!b->data) {
        err = chaff_buf_reserve(b, 0);
        if (err)
            return err;
        b->data[0] = '\0';
    }
    r->rec.n_replaced += rep;
    return CHAFF_OK;
}

/* As set_field, for ids, authors and dates, which are used as C strings:
 * a NUL byte becomes U+FFFD so that "x\0a" and "x\0b" stay distinct. */
static chaff_err set_meta_field(chaff_reader *r, struct chaff_buf *b, const char *s, size_t n)
{
    chaff_err err = set_field(r, b, s, n);
    if (err || !memchr(b->data, '\0', b->len))
        return err;
    struct chaff_buf tmp = {0};
    for (size_t i = 0; i < b->len && !err; i++)
        err = b->data[i] ? chaff_buf_append(&tmp, b->data + i, 1) : chaff_buf_append(&tmp, "\xEF\xBF\xBD", 3);
    if (!err) {
        b->len = 0;
        err = chaff_buf_append(b, tmp.data, tmp.len);
    }
    chaff_buf_free(&tmp);
    return err;
}

static void begin_record(chaff_reader *r, unsigned long line)
{
    memset(&r->rec, 0, sizeof r->rec);
    r->rec.source = r->path;
    r->rec.line = line;
    r->rec.label = -1;
}

static chaff_err set_label(chaff_reader *r, const char *s, size_t n, int is_class, struct chaff_diag *diag)
{
    chaff_err err = set_field(r, &r->label, s, n);
    if (err)
        return err;
    r->rec.label_raw = r->label.data;
    if (is_class && n == 1 && (s[0] == '0' || s[0] == '1')) {
        r->rec.label = s[0] == '1' ? CHAFF_LOW_EFFORT : CHAFF_HUMAN;
        return CHAFF_OK;
    }
    r->rec.label = chaff_label_parse(s, n);
    if (r->rec.label < 0 && !r->lenient_labels)
        return chaff_diagf(diag, CHAFF_EBADREC, "%s:%lu: unknown label '%.40s' (expected human, low-effort or machine)",
                           r->path, r->rec.line, r->label.data);
    return CHAFF_OK;
}

static chaff_err too_big(chaff_reader *r, unsigned long line, size_t bytes, struct chaff_diag *diag)
{
    return chaff_diagf(diag, CHAFF_ETOOBIG, "%s:%lu: record of %zu bytes is over --max-bytes %zu; skipped", r->path,
                       line, bytes, r->max_bytes);
}

static chaff_err finish_record(chaff_reader *r, const struct chaff_record **rec)
{
    r->rec.index = ++r->index;
    *rec = &r->rec;
    return CHAFF_OK;
}

/* ---- JSONL ---- */

static chaff_err json_string_field(chaff_reader *r, json_t *obj, const char *key, struct chaff_buf *b, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return CHAFF_OK;
    char num[64];
    const char *s = NULL;
    size_t n = 0;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    } else if (json_is_real(v)) {
        n = (size_t)snprintf(num, sizeof num, "%.17g", json_real_value(v));
        s = num;
    } else {
        return CHAFF_OK;
    }
    if (n == 0)
        return CHAFF_OK; /* an empty id or author is none */
    chaff_err err = set_meta_field(r, b, s, n);
    if (!err)
        *out = b->data;
    return err;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "a number";
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* The next non-blank line as a record's start, for the line-per-record
 * formats (JSONL, TSV, text). *got is 0 at the end of input; a line over
 * max_bytes is reported as CHAFF_ETOOBIG. */
static chaff_err next_record_line(chaff_reader *r, int *got, struct chaff_diag *diag)
{
    for (;;) {
        chaff_err err = read_line(r, got, diag);
        if (err || !*got)
            return err;
        if (is_blank(r->line.data, r->line.len))
            continue;
        begin_record(r, r->lineno);
        if (r->line_bytes > r->max_bytes)
            return too_big(r, r->lineno, r->line_bytes, diag);
        return CHAFF_OK;
    }
}

static chaff_err next_jsonl(chaff_reader *r, const struct chaff_record **rec, struct chaff_diag *diag)
{
    for (;;) {
        int got;
        chaff_err err = next_record_line(r, &got, diag);
        if (err)
            return err;
        if (!got) {
            *rec = NULL;
            return CHAFF_OK;
        }
        /* jansson wants valid UTF-8: repair first */
        r->tmp.len = 0;
        err = chaff_utf8_sanitize(r->line.data, r->line.len, &r->tmp, &r->rec.n_replaced);
        if (err)
            return err;
        json_error_t jerr;
        json_t *obj = json_loadb(r->tmp.data, r->tmp.len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
        if (!obj && json_error_code(&jerr) == json_error_out_of_memory)
            return CHAFF_ENOMEM; /* not the record's fault: it must not be skipped as bad */
        if (!obj)
            return chaff_diagf(diag, CHAFF_EBADREC, "%s:%lu: invalid JSON: %s", r->path, r->lineno, jerr.text);
        if (!json_is_object(obj)) {
            err = chaff_diagf(diag, CHAFF_EBADREC, "%s:%lu: expected a JSON object, got %s", r->path, r->lineno,
                              json_type_name(obj));
            json_decref(obj);
            return err;
        }
        const char *field = r->text_field ? r->text_field : "text";
        json_t *t = json_object_get(obj, field);
        if (!t || !json_is_string(t)) {
            err = chaff_diagf(diag, CHAFF_EBADREC,
                              t ? "%s:%lu: field \"%s\" is %s, not a string" : "%s:%lu: no \"%s\" field%s", r->path,
                              r->lineno, field, t ? json_type_name(t) : "");
            json_decref(obj);
            return err;
        }
        err = set_field(r, &r->text, json_string_value(t), json_string_length(t));
        r->rec.text = r->text.data;
        r->rec.text_len = r->text.len;
        if (!err)
            err = json_string_field(r, obj, r->id_field ? r->id_field : "id", &r->id, &r->rec.id);
        if (!err)
            err = json_string_field(r, obj, "author", &r->author, &r->rec.author);
        if (!err)
            err = json_string_field(r, obj, "created_at", &r->created, &r->rec.created_at);
        json_t *lab = json_object_get(obj, "label");
        if (!err && lab && json_is_string(lab))
            err = set_label(r, json_string_value(lab), json_string_length(lab), 0, diag);
        json_decref(obj);
        if (err)
            return err;
        r->raw_ok = 1;
        return finish_record(r, rec);
    }
}

/* ---- header handling shared by CSV and TSV ---- */

static void free_header(chaff_reader *r)
{
    for (size_t i = 0; i < r->nhdr; i++)
        free(r->hdr[i]);
    free(r->hdr);
    r->hdr = NULL;
    r->nhdr = 0;
}

static int find_column(chaff_reader *r, const char *wanted, const char *const *defaults)
{
    if (wanted) {
        for (size_t i = 0; i < r->nhdr; i++) {
            if (strcasecmp(r->hdr[i], wanted) == 0)
                return (int)i;
        }
        return -1;
    }
    for (int k = 0; defaults[k]; k++) {
        for (size_t i = 0; i < r->nhdr; i++) {
            if (strcasecmp(r->hdr[i], defaults[k]) == 0)
                return (int)i;
        }
    }
    return -1;
}

static chaff_err add_header(chaff_reader *r, const char *s, size_t n)
{
    char **p = chaff_reallocarray(r->hdr, r->nhdr + 1, sizeof *p);
    if (!p)
        return CHAFF_ENOMEM;
    r->hdr = p;
    while (n && (*s == ' ')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    r->hdr[r->nhdr] = strndup(s, n);
    if (!r->hdr[r->nhdr])
        return CHAFF_ENOMEM;
    r->nhdr++;
    return CHAFF_OK;
}

static chaff_err resolve_columns(chaff_reader *r, struct chaff_diag *diag)
{
    r->col.n = r->nhdr;
    r->col.text = find_column(r, r->text_field, text_columns);
    r->col.id = find_column(r, r->id_field, id_columns);
    r->col.author = find_column(r, NULL, author_columns);
    r->col.created = find_column(r, NULL, date_columns);
    r->col.label = find_column(r, NULL, label_columns);
    r->col.label_is_class = r->col.label >= 0 && strcasecmp(r->hdr[r->col.label], "class") == 0;
    if (r->col.text < 0) {
        r->dead = 1;
        if (r->text_field)
            return chaff_diagf(diag, CHAFF_EINVAL, "%s:%lu: the header has no column \"%s\"", r->path, r->lineno,
                               r->text_field);
        return chaff_diagf(diag, CHAFF_EINVAL,
                           "%s:%lu: the header has no text column (looked for text, content, body, "
                           "comment; name one with --text-field)",
                           r->path, r->lineno);
    }
    r->header_done = 1;
    return CHAFF_OK;
}

/* Fills the record from the columns of one row (CSV or TSV). */
static chaff_err record_from_row(chaff_reader *r, const char *const *f, const size_t *len, size_t n,
                                 struct chaff_diag *diag)
{
    if ((size_t)r->col.text >= n)
        return chaff_diagf(diag, CHAFF_EBADREC, "%s:%lu: row has %zu fields, the header has %zu", r->path, r->rec.line,
                           n, r->col.n);
    chaff_err err = set_field(r, &r->text, f[r->col.text], len[r->col.text]);
    r->rec.text = r->text.data;
    r->rec.text_len = r->text.len;
    if (!err && r->col.id >= 0 && (size_t)r->col.id < n && len[r->col.id]) {
        err = set_meta_field(r, &r->id, f[r->col.id], len[r->col.id]);
        r->rec.id = r->id.data;
    }
    if (!err && r->col.author >= 0 && (size_t)r->col.author < n && len[r->col.author]) {
        err = set_meta_field(r, &r->author, f[r->col.author], len[r->col.author]);
        r->rec.author = r->author.data;
    }
    if (!err && r->col.created >= 0 && (size_t)r->col.created < n && len[r->col.created]) {
        err = set_meta_field(r, &r->created, f[r->col.created], len[r->col.created]);
        r->rec.created_at = r->created.data;
    }
    if (!err && r->col.label >= 0 && (size_t)r->col.label < n && len[r->col.label])
        err = set_label(r, f[r->col.label], len[r->col.label], r->col.label_is_class, diag);
    return err;
}

/* ---- TSV ---- */

#define MAX_TSV_FIELDS 256

static size_t split_tabs(char *s, size_t n, const char **f, size_t *len)
{
    size_t k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n && k < MAX_TSV_FIELDS; i++) {
        if (i == n || s[i] == '\t') {
            f[k] = s + start;
            len[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

static int looks_like_header(const char *const *f, const size_t *len, size_t n, const char *text_field)
{
    for (size_t i = 0; i < n; i++) {
        if (text_field) {
            if (strlen(text_field) == len[i] && strncasecmp(f[i], text_field, len[i]) == 0)
                return 1;
            continue;
        }
        for (int k = 0; text_columns[k]; k++) {
            if (strlen(text_columns[k]) == len[i] && strncasecmp(f[i], text_columns[k], len[i]) == 0)
                return 1;
        }
    }
    return 0;
}

static chaff_err next_tsv(chaff_reader *r, const struct chaff_record **rec, struct chaff_diag *diag)
{
    const char *f[MAX_TSV_FIELDS];
    size_t len[MAX_TSV_FIELDS];
    for (;;) {
        int got;
        chaff_err err = next_record_line(r, &got, diag);
        if (err)
            return err;
        if (!got) {
            *rec = NULL;
            return CHAFF_OK;
        }
        size_t n = split_tabs(r->line.data, r->line.len, f, len);
        if (!r->header_done) {
            r->header_done = 1;
            /* "low-effort<TAB>comment..." is a record, not a header */
            if (chaff_label_parse(f[0], len[0]) < 0 && looks_like_header(f, len, n, r->text_field)) {
                r->tsv_header = 1;
                for (size_t i = 0; i < n; i++) {
                    err = add_header(r, f[i], len[i]);
                    if (err)
                        return err;
                }
                err = resolve_columns(r, diag);
                if (err)
                    return err;
                continue;
            }
        }
        if (r->tsv_header) {
            err = record_from_row(r, f, len, n, diag);
        } else {
            if (n < 2)
                return chaff_diagf(diag, CHAFF_EBADREC, "%s:%lu: expected label<TAB>text", r->path, r->lineno);
            err = set_label(r, f[0], len[0], 0, diag);
            if (!err) {
                /* the text is everything after the first tab */
                size_t off = (size_t)(f[1] - r->line.data);
                err = set_field(r, &r->text, f[1], r->line.len - off);
                r->rec.text = r->text.data;
                r->rec.text_len = r->text.len;
            }
        }
        if (err)
            return err;
        return finish_record(r, rec);
    }
}

/* ---- plain text ---- */

static chaff_err next_text(chaff_reader *r, const struct chaff_record **rec, struct chaff_diag *diag)
{
    for (;;) {
        int got;
        chaff_err err = next_record_line(r, &got, diag);
        if (err)
            return err;
        if (!got) {
            *rec = NULL;
            return CHAFF_OK;
        }
        err = set_field(r, &r->text, r->line.data, r->line.len);
        if (err)
            return err;
        r->rec.text = r->text.data;
        r->rec.text_len = r->text.len;
        return finish_record(r, rec);
    }
}

/* ---- CSV ---- */

/* Fields kept per CSV row; later ones are dropped (a row of commas must
 * not cost a buffer per comma). */
#define CSV_MAX_FIELDS 1024

static void csv_field_cb(void *s, size_t n, void *data)
{
    chaff_reader *r = data;
    if (r->row_oversize || r->nfields >= CSV_MAX_FIELDS)
        return; /* a row being skipped, or a field past the limit */
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
        struct chaff_buf *p = chaff_reallocarray(r->fields, cap, sizeof *p);
        if (!p) {
            r->oom = 1; /* next_csv reports it: a dropped field would shift the columns */
            return;
        }
        memset(p + r->fields_cap, 0, (cap - r->fields_cap) * sizeof *p);
        r->fields = p;
        r->fields_cap = cap;
    }
    struct chaff_buf *b = &r->fields[r->nfields++];
    b->len = 0;
    if (chaff_buf_append(b, s ? s : "", s ? n : 0)) {
        r->nfields--;
        r->oom = 1;
    }
}

static void csv_row_cb(int c, void *data)
{
    (void)c;
    chaff_reader *r = data;
    r->row_done = 1;
}

static chaff_err csv_reset(chaff_reader *r)
{
    if (r->csv_ready)
        csv_free(&r->csv);
    r->csv_ready = 0;
    if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return CHAFF_ENOMEM;
    /* libcsv allocates as the library does (a failure is CSV_ENOMEM) */
    csv_set_realloc_func(&r->csv, realloc);
    csv_set_free_func(&r->csv, free);
    r->csv_ready = 1;
    r->nfields = 0;
    r->row_bytes = 0;
    r->row_done = 0;
    r->row_oversize = 0;
    r->row_pending_start = 1;
    return CHAFF_OK;
}

/* Hands the completed row to the header or the record. Returns CHAFF_OK
 * with *produced set when a record is ready. */
static chaff_err csv_take_row(chaff_reader *r, int *produced, struct chaff_diag *diag)
{
    *produced = 0;
    size_t n = r->nfields;
    r->nfields = 0;
    r->row_done = 0;
    r->row_bytes = 0;
    r->row_pending_start = 1;
    if (!r->header_done) {
        for (size_t i = 0; i < n; i++) {
            chaff_err err = add_header(r, r->fields[i].data ? r->fields[i].data : "", r->fields[i].len);
            if (err)
                return err;
        }
        return resolve_columns(r, diag);
    }
    if (n == 1 && r->fields[0].len == 0)
        return CHAFF_OK; /* blank line */
    enum { MAXF = 1024 };
    const char *f[MAXF];
    size_t len[MAXF];
    if (n > MAXF)
        n = MAXF;
    for (size_t i = 0; i < n; i++) {
        f[i] = r->fields[i].data ? r->fields[i].data : "";
        len[i] = r->fields[i].len;
    }
    chaff_err err = record_from_row(r, f, len, n, diag);
    if (err)
        return err;
    *produced = 1;
    return CHAFF_OK;
}

static chaff_err next_csv(chaff_reader *r, const struct chaff_record **rec, struct chaff_diag *diag)
{
    if (!r->csv_ready) {
        chaff_err err = csv_reset(r);
        if (err)
            return err;
    }
    for (;;) {
        int got;
        chaff_err err = read_line(r, &got, diag);
        if (err)
            return err;
        if (!got) {
            /* end of input: an open quoted field is an error */
            unsigned long start = r->row_line;
            int fini = csv_fini(&r->csv, csv_field_cb, csv_row_cb, r);
            if (r->oom)
                return CHAFF_ENOMEM;
            if (fini != 0) {
                r->nfields = 0;
                r->row_done = 0;
                r->dead = 1;
                begin_record(r, start);
                return chaff_diagf(diag, CHAFF_EBADREC,
                                   "%s:%lu: unterminated quoted field runs to the end of the file; row skipped",
                                   r->path, start);
            }
            if (r->row_done && r->row_oversize) {
                r->row_oversize = 0;
                r->row_done = 0;
                begin_record(r, start);
                r->dead = 1;
                return too_big(r, start, r->row_bytes, diag);
            }
            if (r->row_done && r->nfields) {
                begin_record(r, start);
                int produced;
                err = csv_take_row(r, &produced, diag);
                if (err)
                    return err;
                if (produced)
                    return finish_record(r, rec);
            }
            *rec = NULL;
            return CHAFF_OK;
        }
        if (r->row_pending_start) {
            /* libcsv drops a blank line between rows without a callback:
             * skip it here so that it does not become the row's start */
            if (is_blank(r->line.data, r->line.len))
                continue;
            r->row_line = r->lineno;
            r->row_pending_start = 0;
        } else {
            r->row_bytes++; /* the line break inside a quoted field */
        }
        r->row_bytes += r->line_bytes;
        if (r->row_bytes > r->max_bytes && !r->row_oversize) {
            /* skip the row but keep parsing it, so that the rest of a
             * quoted field is not read as rows of its own */
            r->row_oversize = 1;
            r->nfields = 0;
        }
        size_t fed = csv_parse(&r->csv, r->line.data, r->line.len, csv_field_cb, csv_row_cb, r);
        int ok = fed == r->line.len;
        if (ok && r->skel.len)
            ok = csv_parse(&r->csv, r->skel.data, r->skel.len, csv_field_cb, csv_row_cb, r) == r->skel.len;
        if (ok)
            ok = csv_parse(&r->csv, "\n", 1, csv_field_cb, csv_row_cb, r) == 1;
        if (r->oom || csv_error(&r->csv) == CSV_ENOMEM)
            return CHAFF_ENOMEM;
        if (!ok || csv_error(&r->csv) != CSV_SUCCESS) {
            unsigned long start = r->row_line;
            const char *why = csv_strerror(csv_error(&r->csv));
            err = csv_reset(r);
            if (err)
                return err;
            begin_record(r, start);
            if (!r->header_done) {
                r->dead = 1;
                return chaff_diagf(diag, CHAFF_EINVAL, "%s:%lu: malformed CSV header (%s)", r->path, start, why);
            }
            return chaff_diagf(diag, CHAFF_EBADREC,
                               "%s:%lu: malformed CSV row (%s, e.g. a quote inside an unquoted field); skipped",
                               r->path, r->lineno, why);
        }
        if (r->row_done && r->row_oversize) {
            unsigned long start = r->row_line;
            size_t bytes = r->row_bytes;
            r->row_oversize = 0;
            r->nfields = 0;
            r->row_done = 0;
            r->row_bytes = 0;
            r->row_pending_start = 1;
            begin_record(r, start);
            return too_big(r, start, bytes, diag);
        }
        if (r->row_done) {
            unsigned long start = r->row_line;
            begin_record(r, start);
            int produced;
            err = csv_take_row(r, &produced, diag);
            if (err)
                return err;
            if (produced)
                return finish_record(r, rec);
        }
    }
}

/* ---- opening and sniffing ---- */

static int format_from_name(const char *path)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
        n -= 3;
    static const struct {
        const char *ext;
        int format;
    } exts[] = {{".jsonl", CHAFF_FMT_JSONL}, {".ndjson", CHAFF_FMT_JSONL}, {".json", CHAFF_FMT_JSONL},
                {".csv", CHAFF_FMT_CSV},     {".tsv", CHAFF_FMT_TSV},      {".tab", CHAFF_FMT_TSV},
                {".txt", CHAFF_FMT_TEXT}};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t m = strlen(exts[i].ext);
        if (n > m && strncasecmp(path + n - m, exts[i].ext, m) == 0)
            return exts[i].format;
    }
    return CHAFF_FMT_AUTO;
}

/* Decides the format from the first non-blank line (kept for reading). */
static chaff_err sniff(chaff_reader *r, struct chaff_diag *diag)
{
    for (;;) {
        int got;
        chaff_err err = read_line(r, &got, diag);
        if (err)
            return err;
        if (!got) {
            r->format = CHAFF_FMT_TEXT;
            return CHAFF_OK;
        }
        if (!is_blank(r->line.data, r->line.len))
            break;
    }
    const char *s = r->line.data;
    size_t n = r->line.len;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (n && *s == '{') {
        r->format = CHAFF_FMT_JSONL;
    } else if (memchr(s, '\t', n)) {
        r->format = CHAFF_FMT_TSV;
    } else {
        r->format = CHAFF_FMT_TEXT;
        /* a CSV header names a text column among comma-separated names */
        if (memchr(s, ',', n) && n < 4096) {
            char *copy = strndup(s, n);
            if (!copy)
                return CHAFF_ENOMEM;
            char *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ' || *tok == '"')
                    tok++;
                size_t m = strlen(tok);
                while (m && (tok[m - 1] == ' ' || tok[m - 1] == '"' || tok[m - 1] == '\r'))
                    tok[--m] = '\0';
                if (r->text_field ? strcasecmp(tok, r->text_field) == 0
                                  : (strcasecmp(tok, "text") == 0 || strcasecmp(tok, "content") == 0 ||
                                     strcasecmp(tok, "body") == 0 || strcasecmp(tok, "comment") == 0)) {
                    r->format = CHAFF_FMT_CSV;
                    break;
                }
            }
            free(copy);
        }
    }
    /* the sniffed line is read again as the first line; undo its count */
    r->have_peek = 1;
    r->lineno--;
    return CHAFF_OK;
}

chaff_err chaff_reader_open(const char *path, const struct chaff_reader_opts *opts, chaff_reader **out,
                            struct chaff_diag *diag)
{
    *out = NULL;
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = dup(0);
        if (fd < 0)
            return chaff_diagf(diag, CHAFF_EIO, "-: cannot read standard input: %s", strerror(errno));
    } else {
        fd = open(path, O_RDONLY);
        if (fd < 0)
            return chaff_diagf(diag, CHAFF_EIO, "%s: cannot open: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            close(fd);
            return chaff_diagf(diag, CHAFF_EIO, "%s: is a directory", path);
        }
    }
    chaff_reader *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return CHAFF_ENOMEM;
    }
    r->fd = fd;
    r->path = strdup(path);
    r->in = malloc(READ_CHUNK);
    r->zin = malloc(READ_CHUNK);
    r->text_field = opts && opts->text_field ? strdup(opts->text_field) : NULL;
    r->id_field = opts && opts->id_field ? strdup(opts->id_field) : NULL;
    r->max_bytes = opts && opts->max_bytes ? opts->max_bytes : CHAFF_DEFAULT_MAX_BYTES;
    r->lenient_labels = opts && opts->lenient_labels;
    r->first_line = 1;
    if (!r->path || !r->in || !r->zin || (opts && opts->text_field && !r->text_field) ||
        (opts && opts->id_field && !r->id_field)) {
        chaff_reader_close(r);
        return CHAFF_ENOMEM;
    }
    /* gzip magic: read until two bytes are in (or the input ends) */
    while (r->zin_len < 2) {
        ssize_t n = raw_read(r, r->zin + r->zin_len, READ_CHUNK - r->zin_len);
        if (n < 0) {
            chaff_err err = chaff_diagf(diag, CHAFF_EIO, "%s: cannot read: %s", path, strerror(errno));
            chaff_reader_close(r);
            return err;
        }
        if (n == 0) {
            r->zin_eof = 1;
            break;
        }
        r->zin_len += (size_t)n;
    }
    if (r->zin_len >= 2 && r->zin[0] == 0x1f && r->zin[1] == 0x8b) {
        r->gz_mode = 1;
        r->z.zalloc = chaff_zalloc;
        r->z.zfree = chaff_zfree;
        if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
            chaff_reader_close(r);
            return CHAFF_ENOMEM;
        }
        r->z_ready = 1;
    }
    r->format = opts ? opts->format : CHAFF_FMT_AUTO;
    if (r->format == CHAFF_FMT_AUTO && strcmp(path, "-") != 0)
        r->format = format_from_name(path);
    if (r->format == CHAFF_FMT_AUTO) {
        chaff_err err = sniff(r, diag);
        if (err) {
            chaff_reader_close(r);
            return err;
        }
    }
    *out = r;
    return CHAFF_OK;
}

chaff_err chaff_reader_next(chaff_reader *r, const struct chaff_record **rec, struct chaff_diag *diag)
{
    *rec = NULL;
    r->raw_ok = 0;
    if (r->dead)
        return CHAFF_OK;
    chaff_err err;
    switch (r->format) {
    case CHAFF_FMT_JSONL: err = next_jsonl(r, rec, diag); break;
    case CHAFF_FMT_CSV: err = next_csv(r, rec, diag); break;
    case CHAFF_FMT_TSV: err = next_tsv(r, rec, diag); break;
    default: err = next_text(r, rec, diag); break;
    }
    if (err == CHAFF_ENOMEM) {
        /* the input ends here: a line or row half taken in cannot be
         * resumed, and records must not come out shifted or cut */
        r->dead = 1;
        *rec = NULL;
        r->raw_ok = 0;
        return chaff_diagf(diag, CHAFF_ENOMEM, "%s:%lu: out of memory", r->path, r->lineno);
    }
    return err;
}

unsigned long chaff_reader_record_line(const chaff_reader *r)
{
    return r->rec.line;
}

const char *chaff_reader_raw(const chaff_reader *r, size_t *len)
{
    if (!r->raw_ok) {
        *len = 0;
        return NULL;
    }
    *len = r->tmp.len;
    return r->tmp.data;
}

int chaff_reader_format(const chaff_reader *r)
{
    return r->format;
}

void chaff_reader_close(chaff_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    if (r->z_ready)
        inflateEnd(&r->z);
    free(r->zin);
    if (r->csv_ready)
        csv_free(&r->csv);
    for (size_t i = 0; i < r->fields_cap; i++)
        chaff_buf_free(&r->fields[i]);
    free(r->fields);
    free_header(r);
    chaff_buf_free(&r->line);
    chaff_buf_free(&r->skel);
    chaff_buf_free(&r->text);
    chaff_buf_free(&r->id);
    chaff_buf_free(&r->author);
    chaff_buf_free(&r->created);
    chaff_buf_free(&r->label);
    chaff_buf_free(&r->tmp);
    free(r->in);
    free(r->path);
    free(r->text_field);
    free(r->id_field);
    free(r);
}
