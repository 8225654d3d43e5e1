/* cluster.h: near-duplicate clusters across a dump (copy-paste campaigns).
 *
 * Each comment of at least CHAFF_CLUSTER_MIN_WORDS words gets a MinHash
 * signature of its set of normalised words; two comments are near
 * duplicates when at least CHAFF_CLUSTER_MIN_PERCENT % of their MinHashes
 * agree (an estimate of the Jaccard index of their word sets: spam
 * campaigns vary a word or an emoji, not the message). Candidates are found
 * by locality-sensitive hashing (16 bands of two MinHashes: a pair with
 * Jaccard 0.6 shares a band with probability 0.999), and near duplicates
 * are joined with union-find, so clusters are transitive. Memory grows by
 * 230 to 400 bytes per comment added (its signature, kept to 16 bits
 * a MinHash, and its index entries, in arrays that double); everything else
 * is bounded. */
#ifndef CHAFF_CLUSTER_H
#define CHAFF_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

#define CHAFF_CLUSTER_MIN_WORDS 6
#define CHAFF_CLUSTER_HASHES 32
#define CHAFF_CLUSTER_MIN_PERCENT 60

typedef struct chaff_clusterer chaff_clusterer;

chaff_err chaff_clusterer_new(chaff_clusterer **out);
void chaff_clusterer_free(chaff_clusterer *cl);

/* The MinHash signature of the words of normalised text norm[0..len);
 * returns 0 when the text has fewer than CHAFF_CLUSTER_MIN_WORDS words. */
int chaff_minhash(const char *norm, size_t len, uint32_t sig[CHAFF_CLUSTER_HASHES]);

/* Adds a comment (id: the caller's, e.g. the database row) with its
 * normalised text and author (NULL: unknown). Short comments are ignored,
 * and so is an id added before. CHAFF_EINVAL after chaff_clusterer_each. */
chaff_err chaff_clusterer_add(chaff_clusterer *cl, int64_t id, const char *norm, size_t len, const char *author);

/* The same with the comment's signature, from chaff_minhash (which returned
 * 1), computed beforehand: on another thread, say. */
chaff_err chaff_clusterer_add_minhash(chaff_clusterer *cl, int64_t id, const uint32_t sig[CHAFF_CLUSTER_HASHES],
                                      const char *author);

/* Bytes the clusterer holds: it grows with every comment added (its
 * signature and index entries), the one part of chaff score's memory that
 * does. */
size_t chaff_clusterer_bytes(const chaff_clusterer *cl);

/* One member of a cluster of at least two comments. */
struct chaff_cluster_member {
    int64_t id;
    int64_t cluster; /* the id of the cluster's first comment */
    size_t size;     /* comments in the cluster */
    size_t authors;  /* distinct known authors in it */
};

/* Calls fn for every comment in a cluster of two or more, in the order
 * added; stops at the first non-zero return and returns it (-1: out of
 * memory). The clusters are final: the index is freed first (it is the
 * larger part of the memory) and no comment can be added afterwards. */
int chaff_clusterer_each(chaff_clusterer *cl, int (*fn)(const struct chaff_cluster_member *m, void *ud), void *ud);

#endif
