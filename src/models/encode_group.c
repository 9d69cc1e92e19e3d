/* mc_model_encode over a process group (models.h, mc_model_encode_group): the rows in parts of
 * MC_MODEL_PART_ROWS fixed by the data alone, each part encoded by mc_model_encode on a view of its
 * rows, whole parts shared over the ranks and the results gathered in row order. Uses the public
 * model API only. */
#include <musiclust/models.h>

#include <stdio.h>
#include <string.h>

/* Rows [a, a + rows) of data, as data. Never freed: owned_x_ is a copy of the whole array's descriptor
 * (read only), so that passes over a memory-mapped store can still hand each row's pages back. */
static mc_model_data view_rows(const mc_model_data *data, int64_t a, int64_t rows) {
    mc_model_data v;
    memset(&v, 0, sizeof v);
    v.n = rows;
    v.ndim = data->ndim;
    memcpy(v.shape, data->shape, sizeof v.shape);
    v.shape[0] = rows;
    const int64_t per = data->ndim == 3 ? data->shape[1] * data->shape[2] : data->shape[1]; /* floats per row */
    v.x = data->x + a * per;
    v.owned_x_ = data->owned_x_;
    v.codes = data->codes ? data->codes + a : NULL;
    v.n_classes = data->n_classes;
    v.classes = data->classes;
    v.lyr_dim = data->lyr_dim;
    v.lyrics = data->lyrics ? data->lyrics + a * data->lyr_dim : NULL;
    v.has_lyrics = data->has_lyrics ? data->has_lyrics + a : NULL;
    return v;
}

/* out rows [r0, r1) (width w floats) of every rank, concatenated in rank order, into out rows [b0, ...):
 * the ranks' row ranges tile the batch in rank order. tmp holds this rank's rows while they travel. */
static mc_status gather_rows(mc_dist *d, float *out, int64_t w, int64_t b0, int64_t r0, int64_t r1, float *tmp,
                             int64_t expect) {
    const size_t mine = (size_t)((r1 - r0) * w) * sizeof(float);
    if (mine) memcpy(tmp, out + r0 * w, mine);
    size_t total = 0;
    mc_status st = mc_dist_allgather(d, tmp, mine, out + b0 * w, NULL, &total);
    if (st == MC_STATUS_OK && total != (size_t)(expect * w) * sizeof(float))
        st = mc_error_set(MC_STATUS_INVALID_ARG, "embed: the ranks gathered %zu bytes for %lld rows", total,
                          (long long)expect);
    return st;
}

mc_status mc_model_encode_group(mc_dist *d, mc_model *m, const mc_model_data *data, int threads, float *mu,
                                float *recon, int64_t *unknown) {
    if (!m || !data || !mu) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_encode_group: NULL argument");
    if (unknown) *unknown = 0;
    if (!data->x || data->n < 1) return mc_model_encode(m, data, threads, mu, recon, unknown); /* its message */
    const int R = mc_dist_size(d), rank = mc_dist_rank(d);
    const int64_t n = data->n, P = MC_MODEL_PART_ROWS, parts = (n + P - 1) / P;
    const int64_t Z = mc_model_latent_dim(m);
    int ndim = 0;
    int64_t shape[3] = {0, 0, 0};
    mc_model_input_shape(m, &ndim, shape);
    const int64_t D = ndim == 1 ? shape[0] : shape[0] * shape[1]; /* recon floats per row */
    /* parts per gather: every rank a share, at most ~256 MiB of rows moving at once */
    const int64_t row_bytes = (Z + (recon ? D : 0)) * (int64_t)sizeof(float);
    int64_t batch = ((int64_t)256 << 20) / (P * row_bytes);
    if (batch < R) batch = R;
    float *tmp = NULL; // (rows of this rank's share of a batch, max(Z, D)) what this rank sends
    if (R > 1) {
        const int64_t w = recon && D > Z ? D : Z, rows = ((batch + R - 1) / R) * P;
        tmp = mc_alloc((size_t)(rows * w), sizeof *tmp);
    }
    mc_status st = R > 1 && !tmp ? mc_error_nomem("embed: out of memory for the rows to gather") : MC_STATUS_OK;
    if (R > 1) st = mc_dist_check(d, st);
    int64_t unk = 0;
    for (int64_t p0 = 0; st == MC_STATUS_OK && p0 < parts; p0 += batch) {
        const int64_t bp = batch < parts - p0 ? batch : parts - p0;
        int64_t first, count;
        mc_dist_share(bp, rank, R, &first, &count);
        /* a rank without a part (fewer parts than ranks) has the empty range [n, n) at the end */
        const int64_t r0 = (p0 + first) * P < n ? (p0 + first) * P : n,
                      r1 = (p0 + first + count) * P < n ? (p0 + first + count) * P : n;
        for (int64_t a = r0; st == MC_STATUS_OK && a < r1; a += P) {
            const int64_t rows = r1 - a < P ? r1 - a : P;
            const mc_model_data v = view_rows(data, a, rows);
            int64_t u = 0;
            st = mc_model_encode(m, &v, threads, mu + a * Z, recon ? recon + a * D : NULL, &u);
            if (st != MC_STATUS_OK) {
                char msg[512]; /* the message, before mc_error_set overwrites it */
                snprintf(msg, sizeof msg, "%s", mc_error_message());
                st = mc_error_set(st, "rows %lld..%lld: %s", (long long)a, (long long)(a + rows - 1), msg);
            }
            unk += u;
        }
        if (R == 1) continue;
        st = mc_dist_check(d, st); /* a part that failed on one rank stops every rank here */
        const int64_t b0 = p0 * P, b1 = (p0 + bp) * P < n ? (p0 + bp) * P : n;
        if (st == MC_STATUS_OK) st = gather_rows(d, mu, Z, b0, r0, r1, tmp, b1 - b0);
        if (st == MC_STATUS_OK && recon) st = gather_rows(d, recon, D, b0, r0, r1, tmp, b1 - b0);
    }
    if (st == MC_STATUS_OK && R > 1) st = mc_dist_sum_i64(d, &unk, 1);
    if (st == MC_STATUS_OK && unknown) *unknown = unk;
    mc_free(tmp);
    return st;
}
