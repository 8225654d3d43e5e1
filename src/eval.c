/* eval.c: metrics from a confusion matrix. */
#include <string.h>

#include "train.h"

void chaff_metrics_compute(const struct chaff_confusion *c, struct chaff_metrics *o)
{
    memset(o, 0, sizeof *o);
    unsigned long correct = 0, pred[CHAFF_NLABELS] = {0};
    for (int t = 0; t < CHAFF_NLABELS; t++) {
        for (int p = 0; p < CHAFF_NLABELS; p++) {
            o->n += c->m[t][p];
            o->support[t] += c->m[t][p];
            pred[p] += c->m[t][p];
        }
        correct += c->m[t][t];
    }
    int present = 0;
    double f1sum = 0;
    for (int k = 0; k < CHAFF_NLABELS; k++) {
        double tp = (double)c->m[k][k];
        o->precision[k] = pred[k] ? tp / (double)pred[k] : 0;
        o->recall[k] = o->support[k] ? tp / (double)o->support[k] : 0;
        double pr = o->precision[k] + o->recall[k];
        o->f1[k] = pr > 0 ? 2 * o->precision[k] * o->recall[k] / pr : 0;
        if (o->support[k]) {
            present++;
            f1sum += o->f1[k];
        }
    }
    o->macro_f1 = present ? f1sum / present : 0;
    o->accuracy = o->n ? (double)correct / (double)o->n : 0;
    unsigned long humans = o->support[CHAFF_HUMAN];
    unsigned long flagged = c->m[CHAFF_HUMAN][CHAFF_LOW_EFFORT] + c->m[CHAFF_HUMAN][CHAFF_MACHINE];
    o->humans_flagged = humans ? (double)flagged / (double)humans : 0;
    unsigned long nonhuman = o->n - humans;
    unsigned long caught = 0;
    for (int t = 1; t < CHAFF_NLABELS; t++) {
        for (int p = 1; p < CHAFF_NLABELS; p++)
            caught += c->m[t][p];
    }
    o->nonhuman_caught = nonhuman ? (double)caught / (double)nonhuman : 0;
}
