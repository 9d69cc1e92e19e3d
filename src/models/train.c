/* The training loop: seeded shuffles, mini-batches, Adam, validation, early stopping, the loss table,
 * per-epoch checkpoints and resuming from them.
 *
 * Random streams, all from cfg.seed (mc_rng_seed(seed, stream)):
 *   1 weight initialisation (mc_model_create), 2 the train/validation split (recomputed on resume,
 *   it depends only on the seed and the row count), 3 the per-epoch shuffle, 4 the reparameterisation
 *   noise. Streams 3 and 4 are saved in every checkpoint; each epoch shuffles the training rows
 *   from their split order with stream 3, so an epoch's order depends only on that saved state. That
 *   and the saved Adam moments make a resumed run byte-identical to an uninterrupted one. */
#include "models_internal.h"

#include <musiclust/data.h>

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSV_HEADER "epoch\trecon\tkl\ttotal\tval_recon\tval_kl\tval_total\tseconds\n"

/* The loss table's text so far: the header, then (when resuming) the old rows up to `keep` epochs. */
typedef struct tsv_buf {
    char *s;
    size_t len, cap;
} tsv_buf;

static int tsv_append(tsv_buf *b, const char *text) {
    size_t n = strlen(text);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *s = mc_realloc(b->s, cap, 1);
        if (!s) return 0;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
    return 1;
}

static mc_status tsv_start(tsv_buf *b, const char *path, int keep) {
    if (!tsv_append(b, TSV_HEADER)) return mc_error_nomem("out of memory allocating the loss table");
    if (keep <= 0) return MC_STATUS_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return MC_STATUS_OK; /* no earlier table: start afresh */
    char line[1024];
    bool first = true;
    while (fgets(line, sizeof line, f)) {
        if (first) { first = false; continue; } /* the header */
        char *end = NULL;
        long e = strtol(line, &end, 10);
        if (end == line || *end != '\t' || e < 1 || e > keep) continue;
        if (!tsv_append(b, line)) { fclose(f); return mc_error_nomem("out of memory allocating the loss table"); }
    }
    fclose(f);
    return MC_STATUS_OK;
}

static void fmt_num(char *buf, size_t n, double v) {
    if (isnan(v)) snprintf(buf, n, "nan");
    else snprintf(buf, n, "%.9g", v);
}

/* Loss sums of one pass over rows idx[0..count) in mini-batches. */
typedef struct pass_sums {
    double rec, kl;
    double rec_a, rec_l; /* mm-vae: the unweighted audio and lyrics SSE */
    int bad_batch; /* first batch (1-based) with a non-finite loss, 0 = none */
} pass_sums;

/* A mini-batch in parts (mc_model_train_group): every part's values are one vector of len doubles,
 * the loss sums first, then (training) every parameter's gradient in params order. The vectors are
 * added in part order starting from 0.0: in place, part after part, by one process, or by
 * mc_dist_sum_ordered_f64 over ranks, which makes the same additions. */
enum { PV_REC, PV_KL, PV_REC_A, PV_REC_L, PV_FAIL, PV_N };

/* At most this many parts of a mini-batch run side by side (one net each). */
#define PART_NETS_MAX 4

typedef struct part_ws {
    mc_dist *d;
    int rank, size;
    int64_t P;    /* gradient values: the numel of every parameter with a gradient */
    int batch;    /* rows of a mini-batch: the config's batch, at most the row count */
    float *eps;   /* (batch, Z) the mini-batch's noise draws, or NULL */
    double *mine; /* (cap, PV_N + P) this rank's parts (ranks > 1 only) */
    int64_t cap;
    double *sum;  /* (PV_N + P) the sum over the parts */
    /* Parts run side by side: nets[t] runs every k-th part on thread t of the team (nets[0] is the
     * model's own net, the others copies of its architecture without an optimiser that take its
     * weights before every mini-batch). A part's values do not depend on the thread or net that computes them (every
     * layer gives the same bytes on any team), and they are added in part order as before, so the
     * sums are the same bytes for any k; k > 1 only spares the team a fork/join and a wait per
     * layer of a 32-row part, where a 32-row part split over the team left 15-20% of 2 cores idle. */
    int k;
    mdl_net *nets[PART_NETS_MAX];
} part_ws;

static void part_ws_free(part_ws *w) {
    mc_free(w->eps);
    mc_free(w->mine);
    mc_free(w->sum);
    for (int t = 1; t < w->k; t++) mdl_net_free(w->nets[t]);
}

static mc_status part_ws_alloc(part_ws *w, mc_dist *d, const mc_model *m, int threads, bool low_memory) {
    mdl_net *n = m->net;
    memset(w, 0, sizeof *w);
    w->k = 1;
    w->nets[0] = n;
    w->batch = m->cfg.batch < m->n_rows ? m->cfg.batch : (int)m->n_rows;
    if (w->batch < 1) w->batch = 1;
    w->d = d;
    w->rank = mc_dist_rank(d);
    w->size = mc_dist_size(d);
    const int np = mc_nn_params_count(n->params);
    for (int i = 0; i < np; i++) {
        const mc_nn_param *p = mc_nn_params_at(n->params, i);
        if (p->grad) w->P += p->numel;
    }
    const int64_t parts = (w->batch + MC_MODEL_PART_ROWS - 1) / MC_MODEL_PART_ROWS;
    w->cap = w->size > 1 ? (parts + w->size - 1) / w->size : 0;
    const size_t len = (size_t)(PV_N + w->P);
    w->sum = mc_alloc(len, sizeof(double));
    if (n->variational) w->eps = mc_alloc((size_t)w->batch * (size_t)n->Z, sizeof(float));
    if (w->cap > 0) w->mine = mc_alloc((size_t)w->cap * len, sizeof(double));
    if (!w->sum || (n->variational && !w->eps) || (w->cap > 0 && !w->mine))
        return mc_error_nomem("out of memory allocating %lld gradient values per part", (long long)w->P);
    /* side by side when every thread of the team gets a part of each mini-batch (more threads than
     * parts: the parts one after another, each split over the team); not the mm-vae (its own
     * forward and loss in mm.c) */
    const int64_t most = w->size > 1 ? w->cap : parts;
    if (!n->mm && !low_memory && threads >= 2 && threads <= PART_NETS_MAX && threads <= most) {
        for (int t = 1; t < threads; t++) {
            mdl_net *a = NULL;
            mc_status st = mdl_net_create_worker(&m->cfg, m->D, m->n_mels, m->frames, m->n_classes,
                                                 m->lyr_dim, n->max_batch, &a);
            mc_nn_precision used;
            if (st == MC_STATUS_OK && m->cfg.precision != MC_NN_PRECISION_FP32) {
                if (a->enc) st = mc_nn_seq_set_precision(a->enc, m->cfg.precision, &used);
                if (st == MC_STATUS_OK) st = mc_nn_seq_set_precision(a->dec, m->cfg.precision, &used);
            }
            if (st != MC_STATUS_OK) {
                mdl_net_free(a);
                return st;
            }
            w->nets[w->k++] = a;
        }
    }
    return MC_STATUS_OK;
}

/* The weights of nets[0] into the other nets (after every optimiser step, before the next parts),
 * in pieces of SYNC_PIECE values split over the team. */
#define SYNC_PIECE 65536

static void nets_sync(part_ws *w) {
    if (w->k < 2) return;
    const int np = mc_nn_params_count(w->nets[0]->params);
#pragma omp parallel
    for (int t = 1; t < w->k; t++)
        for (int i = 0; i < np; i++) {
            const mc_nn_param *a = mc_nn_params_at(w->nets[0]->params, i);
            mc_nn_param *b = mc_nn_params_at(w->nets[t]->params, i);
            if (!a->data) {
#pragma omp single nowait
                if (a->i64 && b->i64) *b->i64 = *a->i64;
                continue;
            }
            const int64_t pieces = (a->numel + SYNC_PIECE - 1) / SYNC_PIECE;
#pragma omp for schedule(static) nowait
            for (int64_t c = 0; c < pieces; c++) {
                const int64_t lo = c * SYNC_PIECE, n = a->numel - lo < SYNC_PIECE ? a->numel - lo : SYNC_PIECE;
                memcpy(b->data + lo, a->data + lo, (size_t)n * sizeof(float));
            }
        }
}

#define GR_PAR_MIN 65536

static int64_t grads_total(mc_nn_params *ps) {
    int64_t total = 0;
    for (int i = 0; i < mc_nn_params_count(ps); i++) {
        const mc_nn_param *p = mc_nn_params_at(ps, i);
        if (p->grad) total += p->numel;
    }
    return total;
}

/* The gradients of parts run on nets[0..k) (in part order) into part vectors (params order, P values
 * from v[t] + PV_N): with add, v[0] += g_0, then += g_1, ... (in double, the additions of adding the
 * parts one after another); else v[t] = g_t. Element-wise, so the share of each thread does not
 * change a byte: the conv-vae's 3 M values per part are split over the team (one thread alone left
 * the other waiting). */
static void grads_parts_f64(mdl_net *const *nets, int k, bool add, double *const *v) {
    const int np = mc_nn_params_count(nets[0]->params);
#pragma omp parallel if (grads_total(nets[0]->params) > GR_PAR_MIN)
    {
        int64_t off = PV_N;
        for (int i = 0; i < np; i++) {
            const float *g[PART_NETS_MAX];
            const mc_nn_param *p0 = mc_nn_params_at(nets[0]->params, i);
            if (!p0->grad) continue;
            for (int t = 0; t < k; t++) g[t] = mc_nn_params_at(nets[t]->params, i)->grad;
            const int64_t cnt = p0->numel;
            if (add) {
                double *s = v[0] + off;
#pragma omp for schedule(static) nowait
                for (int64_t j = 0; j < cnt; j++) {
                    double a = s[j];
                    for (int t = 0; t < k; t++) a += (double)g[t][j];
                    s[j] = a;
                }
            } else {
                for (int t = 0; t < k; t++) {
                    double *d = v[t] + off;
#pragma omp for schedule(static) nowait
                    for (int64_t j = 0; j < cnt; j++) d[j] = (double)g[t][j];
                }
            }
            off += cnt;
        }
    }
}

/* grad = (float)g: the mini-batch's gradient, rounded once from the double sum of its parts */
static void grads_round(mc_nn_params *ps, const double *g) {
    const int np = mc_nn_params_count(ps);
#pragma omp parallel if (grads_total(ps) > GR_PAR_MIN)
    {
        const double *gi = g;
        for (int i = 0; i < np; i++) {
            mc_nn_param *p = mc_nn_params_at(ps, i);
            if (!p->grad) continue;
            float *gr = p->grad;
#pragma omp for schedule(static) nowait
            for (int64_t j = 0; j < p->numel; j++) gr[j] = (float)gi[j];
            gi += p->numel;
        }
    }
}

/* The loss values of the part just run on n into v: stored, or added to v with add. */
static void part_scalars(const mdl_net *n, double rec, double kl, bool add, double *v) {
    const double lv[PV_N] = {rec, kl, n->mm ? n->last_rec_a : rec, n->mm ? n->last_rec_l : 0, 0};
    for (int j = 0; j < PV_N; j++) v[j] = add ? v[j] + lv[j] : lv[j];
}

/* Forward (and with train backward) of part q (rows [r0, r0 + rows) of the mini-batch idx[0..B)). */
static mc_status part_run(const mc_model *m, mdl_net *n, const mc_model_data *data, const int64_t *idx, int r0,
                          int rows, const int *map, bool train, double beta, const part_ws *w, double *rec,
                          double *kl) {
    mdl_gather_net(m, n, data, idx + r0, rows, map);
    if (train && n->variational)
        memcpy(n->eps, w->eps + (size_t)r0 * n->Z, (size_t)rows * (size_t)n->Z * sizeof(float));
    mc_status st = mdl_net_forward(n, rows, train);
    if (st == MC_STATUS_OK) st = mdl_net_loss(n, rows, beta, train, rec, kl);
    return st;
}

static mc_status run_pass(mc_model *m, const mc_model_data *data, const int64_t *idx, int64_t count,
                          const int *map, bool train, double beta, part_ws *w, pass_sums *ps,
                          mc_progress *progress) {
    mdl_net *n = m->net;
    w->nets[0] = n;
    nets_sync(w); /* the weights of this pass (initialised, resumed or stepped) on every net */
    const int Z = n->Z;
    const int64_t len = PV_N + (train ? w->P : 0);
    ps->rec = ps->kl = ps->rec_a = ps->rec_l = 0;
    ps->bad_batch = 0;
    int batch = 0;
    for (int64_t s = 0; s < count; s += w->batch) {
        int B = (int)(count - s < w->batch ? count - s : w->batch);
        batch++;
        /* the whole mini-batch's draws on every rank: the noise stream moves as for one process */
        if (train && n->variational) mc_nn_normal_fill(&m->rng_noise, w->eps, (int64_t)B * Z);
        /* each part's gradient is that of its share of (rec + beta kl) / B */
        for (int t = 0; t < w->k; t++) w->nets[t]->loss_rows = B;
        const int64_t parts = (B + MC_MODEL_PART_ROWS - 1) / MC_MODEL_PART_ROWS;
        int64_t first = 0, mine = parts;
        mc_dist_share(parts, w->rank, w->size, &first, &mine);
        mc_status st = MC_STATUS_OK;
        if (w->size == 1) memset(w->sum, 0, (size_t)len * sizeof(double));
        for (int64_t q0 = first; q0 < first + mine; q0 += w->k) {
            /* parts q0 .. q0 + kk - 1 side by side, part q0 + t on nets[t] */
            const int kk = (int)(first + mine - q0 < w->k ? first + mine - q0 : w->k);
            double rec[PART_NETS_MAX] = {0}, kl[PART_NETS_MAX] = {0};
            mc_status sts[PART_NETS_MAX];
            char msg[PART_NETS_MAX][256];
            if (kk == 1) {
                sts[0] = part_run(m, n, data, idx + s, (int)(q0 * MC_MODEL_PART_ROWS),
                                  (int)(B - q0 * MC_MODEL_PART_ROWS < MC_MODEL_PART_ROWS ? B - q0 * MC_MODEL_PART_ROWS
                                                                                        : MC_MODEL_PART_ROWS),
                                  map, train, beta, w, &rec[0], &kl[0]);
            } else {
#pragma omp parallel num_threads(kk)
                {
                    /* each part on one thread: the layers' loops nested in here run on it alone */
                    omp_set_num_threads(1);
                    for (int t = omp_get_thread_num(); t < kk; t += omp_get_num_threads()) {
                        const int r0 = (int)((q0 + t) * MC_MODEL_PART_ROWS);
                        const int rows = B - r0 < MC_MODEL_PART_ROWS ? B - r0 : MC_MODEL_PART_ROWS;
                        sts[t] = part_run(m, w->nets[t], data, idx + s, r0, rows, map, train, beta, w, &rec[t], &kl[t]);
                        if (sts[t] != MC_STATUS_OK) snprintf(msg[t], sizeof msg[t], "%s", mc_error_message());
                    }
                }
            }
            int ok = 0; /* parts of this round that ran, in part order, before the first failure */
            while (ok < kk && sts[ok] == MC_STATUS_OK) ok++;
            double *v[PART_NETS_MAX];
            for (int t = 0; t < ok; t++) {
                v[t] = w->size == 1 ? w->sum : w->mine + (q0 + t - first) * len;
                part_scalars(w->nets[t], rec[t], kl[t], w->size == 1, v[t]);
            }
            if (train && ok > 0) grads_parts_f64(w->nets, ok, w->size == 1, v);
            if (ok < kk) {
                st = kk > 1 ? mc_error_set(sts[ok], "%s", msg[ok]) : sts[0];
                if (w->size == 1) return st;
                /* this rank's failure travels in the sums: the other ranks stop at the check below */
                const int64_t q = q0 + ok;
                for (int64_t r = q - first; r < mine; r++) memset(w->mine + r * len, 0, (size_t)len * sizeof(double));
                w->mine[(q - first) * len + PV_FAIL] = 1;
                break;
            }
        }
        if (w->size > 1) {
            mc_status ss = mc_dist_sum_ordered_f64(w->d, w->mine, first, mine, parts, len, w->sum);
            if (ss != MC_STATUS_OK) return ss;
            if (w->sum[PV_FAIL] > 0) return mc_dist_check(w->d, st);
        }
        const double rec = w->sum[PV_REC], kl = w->sum[PV_KL];
        if (!isfinite(rec) || !isfinite(kl)) {
            ps->bad_batch = batch;
            return MC_STATUS_OK;
        }
        ps->rec += rec;
        ps->kl += kl;
        ps->rec_a += w->sum[PV_REC_A];
        ps->rec_l += w->sum[PV_REC_L];
        if (train) {
            /* the mini-batch's gradient, rounded once from the double sum of the parts */
            grads_round(n->params, w->sum + PV_N);
            if (m->cfg.clip > 0) {
                double norm = mc_nn_params_clip_grad_norm(n->params, m->cfg.clip);
                if (!isfinite(norm)) { ps->bad_batch = batch; return MC_STATUS_OK; }
            }
            mc_nn_adam_step(n->adam);
            nets_sync(w);
            mc_progress_tick(progress, 1); /* a training batch: progress within an epoch */
        }
    }
    return MC_STATUS_OK;
}

static bool params_finite(mc_model *m) {
    int np = mc_nn_params_count(m->net->params);
    for (int i = 0; i < np; i++) {
        mc_nn_param *p = mc_nn_params_at(m->net->params, i);
        if (!p->data) continue;
        for (int64_t j = 0; j < p->numel; j++)
            if (!isfinite(p->data[j])) return false;
    }
    return true;
}

mc_status mc_model_train(mc_model *m, const mc_model_data *data, const mc_train_options *opt,
                         mc_progress *progress, mc_train_summary *sum) {
    return mc_model_train_group(NULL, m, data, opt, progress, sum);
}

mc_status mc_model_train_group(mc_dist *d, mc_model *m, const mc_model_data *data, const mc_train_options *opt,
                               mc_progress *progress, mc_train_summary *sum) {
    mc_train_options defaults = {0};
    if (!opt) opt = &defaults;
    mc_train_summary local;
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    sum->val_recon = sum->val_kl = sum->val_total = NAN;
    sum->last_epoch = m->epoch;
    sum->best_epoch = m->best_epoch;
    mc_status st = mdl_check_data(m, data);
    if (st != MC_STATUS_OK) return st;
    if (data->n != m->n_rows)
        return mc_error_set(MC_STATUS_INVALID_ARG, "the model was started on %lld rows, the data has %lld: "
                            "resume with the same feature store", (long long)m->n_rows, (long long)data->n);
    if ((st = mdl_model_fit_rows(m, data->n)) != MC_STATUS_OK) return st;
    const mc_model_config *c = &m->cfg;
    int *map = NULL;
    st = mdl_class_map(m, data, &map);
    if (st != MC_STATUS_OK) return st;
    int64_t *split = mc_calloc(1, (size_t)data->n * sizeof *split); /* (n) permutation: train rows, val rows */
    int64_t *order = mc_calloc(1, (size_t)data->n * sizeof *order); /* (n_train) this epoch's order */
    tsv_buf tsv = {0};
    part_ws pw;
    st = part_ws_alloc(&pw, d, m, mc_threads_resolve(opt->threads), opt->low_memory);
    if (st == MC_STATUS_OK && (!split || !order))
        st = mc_error_nomem("out of memory allocating the training order and buffers");
    const bool writer = mc_dist_rank(d) == 0; /* only rank 0 writes the checkpoint and the loss table */
    if ((st = mc_dist_check(d, st)) != MC_STATUS_OK) goto done;
    int64_t n_train = 0;
    {
        mc_rng rs;
        mc_rng_seed(&rs, c->seed, 2);
        mc_data_split(data->n, c->val_fraction, &rs, split, &n_train);
    }
    const int64_t n_val = data->n - n_train;
    if (n_train < 1 || (c->val_fraction > 0 && n_val < 1)) {
        st = mc_error_set(MC_STATUS_INVALID_ARG, "validation fraction %g of %lld rows leaves %lld training "
                          "and %lld validation rows", c->val_fraction, (long long)data->n,
                          (long long)n_train, (long long)n_val);
        goto done;
    }
    if (opt->loss_tsv) st = tsv_start(&tsv, opt->loss_tsv, m->epoch);
    if ((st = mc_dist_check(d, st)) != MC_STATUS_OK) goto done;
    mc_nn_set_threads(opt->threads);
    /* the bar counts this call's training batches (a resumed run: those of the remaining epochs), so
     * that a long epoch shows progress; its note names the epoch */
    const int64_t batches = (n_train + pw.batch - 1) / pw.batch;
    mc_progress_set_total(progress, m->epoch < c->epochs ? (int64_t)(c->epochs - m->epoch) * batches : 0);
    const bool early = mdl_uses_early_stopping(m);
    if (early && !m->best && m->epoch == 0) st = mdl_best_snapshot(m);
    if ((st = mc_dist_check(d, st)) != MC_STATUS_OK) goto done;
    double t_start = mc_clock_seconds(), t_train = 0;
    while (!mdl_is_complete(m)) {
        const int epoch = m->epoch + 1; /* 1-based */
        double t0 = mc_clock_seconds();
        /* KL weight: beta, ramped linearly over the warm-up epochs (beta * epoch / warmup) */
        double beta = c->kind == MC_MODEL_KIND_AE ? 0 : c->beta;
        if (c->warmup > 0 && epoch < c->warmup) beta *= (double)epoch / c->warmup;
        memcpy(order, split, (size_t)n_train * sizeof *order);
        mc_rng_shuffle(&m->rng_shuffle, order, (size_t)n_train);
        pass_sums tr, va = {NAN, NAN, NAN, NAN, 0};
        if (progress) {
            char en[64];
            snprintf(en, sizeof en, "epoch %d/%d", epoch, c->epochs);
            mc_progress_note(progress, en);
        }
        st = run_pass(m, data, order, n_train, map, true, beta, &pw, &tr, progress);
        t_train += mc_clock_seconds() - t0;
        if (st != MC_STATUS_OK) goto done;
        if (!tr.bad_batch && n_val > 0) {
            st = run_pass(m, data, split + n_train, n_val, map, false, beta, &pw, &va, NULL);
            if (st != MC_STATUS_OK) goto done;
        }
        if (tr.bad_batch || va.bad_batch || !params_finite(m)) {
            char held[256] = "";
            if (opt->checkpoint && m->epoch > 0)
                snprintf(held, sizeof held, "; %s still holds epoch %d", opt->checkpoint, m->epoch);
            else if (opt->checkpoint)
                snprintf(held, sizeof held, "; %s was not written", opt->checkpoint);
            st = mc_error_set(MC_STATUS_NUMERIC, "training diverged at epoch %d (%s): the loss became NaN or "
                              "Inf; lower --lr (now %g), enable --clip NORM (e.g. 5), or check the input "
                              "normalisation%s", epoch,
                              tr.bad_batch ? "a training batch" : va.bad_batch ? "validation" : "weights",
                              c->lr, held);
            goto done;
        }
        const double recon = tr.rec / (double)n_train, kl = tr.kl / (double)n_train;
        const double total = recon + beta * kl;
        double vr = NAN, vk = NAN, vt = NAN;
        if (n_val > 0) {
            vr = va.rec / (double)n_val;
            vk = va.kl / (double)n_val;
            vt = vr + beta * vk;
        }
        m->epoch = epoch;
        /* early stopping on the validation total, once the KL warm-up is over */
        if (early && epoch >= c->warmup) {
            if (vt < m->best_val || m->best_epoch < c->warmup) {
                m->best_val = vt;
                m->best_epoch = epoch;
                m->bad_epochs = 0;
                st = mc_dist_check(d, mdl_best_snapshot(m));
                if (st != MC_STATUS_OK) goto done;
            } else if (++m->bad_epochs >= c->patience) {
                m->stopped_early = true;
            }
        } else if (!early) {
            m->best_epoch = epoch;
        }
        if (early && mdl_is_complete(m)) mdl_best_restore(m); /* the run ends: keep the best epoch */
        double secs = mc_clock_seconds() - t0;
        if (opt->loss_tsv) {
            char row[512], a[7][32];
            fmt_num(a[0], 32, recon); fmt_num(a[1], 32, kl); fmt_num(a[2], 32, total);
            fmt_num(a[3], 32, vr); fmt_num(a[4], 32, vk); fmt_num(a[5], 32, vt);
            snprintf(row, sizeof row, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\n", epoch, a[0], a[1], a[2], a[3],
                     a[4], a[5], secs);
            if (!tsv_append(&tsv, row)) st = mc_error_nomem("out of memory allocating the loss table");
            /* the table before the checkpoint: a resume drops rows past the checkpoint's epoch */
            else if (writer) st = mc_file_write_atomic(opt->loss_tsv, tsv.s, tsv.len);
            if ((st = mc_dist_check(d, st)) != MC_STATUS_OK) goto done;
        }
        if (opt->checkpoint) {
            st = mc_dist_check(d, writer ? mc_model_save(m, opt->checkpoint) : MC_STATUS_OK);
            if (st != MC_STATUS_OK) goto done;
        }
        sum->epochs_run++;
        sum->recon = recon;
        sum->kl = kl;
        sum->total = total;
        sum->val_recon = vr;
        sum->val_kl = vk;
        sum->val_total = vt;
        sum->recon_audio = tr.rec_a / (double)n_train;
        sum->recon_lyrics = tr.rec_l / (double)n_train;
        char note[200];
        if (n_val > 0)
            snprintf(note, sizeof note, "epoch %d/%d recon %.4g kl %.4g val %.4g", epoch, c->epochs, recon, kl, vt);
        else
            snprintf(note, sizeof note, "epoch %d/%d recon %.4g kl %.4g", epoch, c->epochs, recon, kl);
        mc_progress_note(progress, note);
        if (opt->stop_after > 0 && sum->epochs_run >= opt->stop_after && !mdl_is_complete(m)) {
            sum->interrupted = true;
            break;
        }
    }
    sum->seconds = mc_clock_seconds() - t_start;
    sum->samples_per_s = t_train > 0 ? (double)n_train * sum->epochs_run / t_train : 0;
done:
    sum->last_epoch = m->epoch;
    sum->best_epoch = m->best_epoch;
    sum->stopped_early = m->stopped_early;
    m->net->loss_rows = 0;
    part_ws_free(&pw);
    free(tsv.s);
    free(split);
    free(order);
    free(map);
    return st;
}
