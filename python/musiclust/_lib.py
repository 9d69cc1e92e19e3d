"""Loading libmusiclust.so, the C structures the package passes (ctypes mirrors of the public headers in
include/musiclust/), function prototypes, and turning a failed status into MusiclustError.

The mirrors must match the C layout field for field; python/tests/test_abi.py compiles a C program
that prints every mirrored struct's size and field offsets and compares them with these classes.
"""
import ctypes
import ctypes.util
import os
from ctypes import (POINTER, Structure, c_bool, c_char, c_char_p, c_double, c_float, c_int, c_size_t,
                    c_int32, c_int64, c_uint8, c_uint32, c_uint64, c_void_p)

import numpy as np

# ---------------------------------------------------------------------------------------- loading

_SONAME = "libmusiclust.so.0"


def _candidates():
    env = os.environ.get("MUSICLUST_LIB")
    if env:
        # An explicit choice is the only one tried: a wrong path is an error, not a fallback.
        yield env
        return
    # In a source tree (python/musiclust/ next to build/): the library just built.
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    for build in ("build", "build-asan"):
        p = os.path.join(root, build, _SONAME)
        if os.path.exists(p) and os.path.exists(os.path.join(root, "include", "musiclust", "core.h")):
            yield p
    # Installed: LD_LIBRARY_PATH, the loader's cache, the system folders.
    yield _SONAME
    found = ctypes.util.find_library("musiclust")
    if found:
        yield found


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("musiclust: cannot load libmusiclust.so (set MUSICLUST_LIB to its path, or "
                      "LD_LIBRARY_PATH to the folder holding it): " + "; ".join(errors))


lib, library_path = _load()

# ---------------------------------------------------------------------------------------- errors

STATUS_NAMES = ["ok", "invalid_arg", "no_memory", "io", "format", "unsupported", "numeric", "empty"]


class MusiclustError(RuntimeError):
    """A libmusiclust call failed. str(e) is the library's one-line message (mc_error_message);
    e.status is the status name ("invalid_arg", "io", "format", ...)."""

    def __init__(self, status, message):
        self.status = STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES) else str(status)
        self.code = status
        super().__init__(message)


def check(status):
    """Raise MusiclustError with the library's message unless status is MC_STATUS_OK."""
    if status != 0:
        msg = lib.mc_error_message().decode("utf-8", "replace")
        lib.mc_error_clear()
        raise MusiclustError(status, msg or f"musiclust: status {STATUS_NAMES[status]}")


# ---------------------------------------------------------------------------------------- structs
# Each mirrors the typedef of the same name; enums are C ints, bool is C _Bool.

MAX_DIMS = 8
MAX_LAYERS = 8


class mc_rng(Structure):
    _fields_ = [("s", c_uint64 * 4), ("spare_normal", c_double), ("has_spare", c_int)]


class mc_array(Structure):
    _fields_ = [("dtype", c_int), ("ndim", c_int), ("shape", c_int64 * MAX_DIMS), ("data", c_void_p),
                ("map_base", c_void_p), ("map_len", c_size_t)]


class mc_table(Structure):
    _fields_ = [("nrows", c_int64), ("ncols", c_int), ("header", POINTER(c_char_p)),
                ("cells", POINTER(c_char_p)), ("row_start", POINTER(c_int64)), ("text", c_char_p)]


class mc_store(Structure):
    _fields_ = [("dir", c_char_p), ("index_path", c_char_p), ("index", mc_table), ("n", c_int64), ("first_label", c_int),
                ("vectors", mc_array), ("vectors_file", c_char * 32)]


class mc_dsp_config(Structure):
    _fields_ = [("sr", c_int), ("n_fft", c_int), ("hop", c_int), ("n_mels", c_int), ("fmin", c_double),
                ("fmax", c_double), ("n_mfcc", c_int), ("ref", c_double), ("amin", c_double),
                ("top_db", c_double)]


class mc_extract_config(Structure):
    _fields_ = [("dsp", mc_dsp_config), ("segment_s", c_double), ("logmel_frames", c_int),
                ("threads", c_int), ("metadata", c_char_p), ("id_column", c_char_p),
                ("folder_label", c_char_p), ("keep_unmatched", c_bool), ("descriptors", c_bool),
                ("tempo", c_bool)]


class mc_extract_summary(Structure):
    _fields_ = [("files", c_int64), ("tracks", c_int64), ("segments", c_int64), ("padded", c_int64),
                ("skipped", c_int64), ("unmatched_metadata", c_int64), ("ignored", c_int64),
                ("seconds", c_double)]


class mc_audio_info(Structure):
    _fields_ = [("sample_rate", c_int), ("channels", c_int), ("frames", c_int64), ("format", c_char * 16)]


class mc_scaler(Structure):
    _fields_ = [("d", c_int64), ("n_samples", c_int64), ("mean", POINTER(c_double)),
                ("var", POINTER(c_double)), ("scale", POINTER(c_double))]


class mc_pca(Structure):
    _fields_ = [("d", c_int64), ("n_components", c_int), ("n_samples", c_int64), ("whiten", c_bool),
                ("mean", POINTER(c_double)), ("components", POINTER(c_double)),
                ("explained_variance", POINTER(c_double)), ("explained_variance_ratio", POINTER(c_double)),
                ("singular_values", POINTER(c_double)), ("noise_variance", c_double)]


class mc_cluster_config(Structure):
    _fields_ = [("algo", c_int), ("k", c_int), ("n_init", c_int), ("max_iter", c_int), ("tol", c_double),
                ("seed", c_uint64), ("threads", c_int), ("linkage", c_int), ("eps", c_double),
                ("min_samples", c_int), ("covariance", c_int), ("reg_covar", c_double),
                ("progress", c_void_p), ("bound_rows", c_int64), ("dist", c_void_p)]


class mc_dendrogram(Structure):
    _fields_ = [("n", c_int64), ("linkage", c_int), ("children", POINTER(c_int64)),
                ("distances", POINTER(c_double)), ("sizes", POINTER(c_int64))]


class mc_clustering(Structure):
    _fields_ = [("algo", c_int), ("n", c_int64), ("d", c_int64), ("k", c_int), ("labels", POINTER(c_int32)),
                ("n_noise", c_int64), ("centers", POINTER(c_float)), ("n_iter", c_int), ("converged", c_bool),
                ("inertia", c_double), ("eps", c_double), ("eps_auto", c_bool), ("eps_knee", c_double),
                ("log_likelihood", c_double), ("bic", c_double), ("weights", POINTER(c_double)),
                ("covariances", POINTER(c_double)), ("tree", mc_dendrogram), ("fit_rows", c_int64),
                ("means", POINTER(c_double))]


class mc_ksweep_point(Structure):
    _fields_ = [("k", c_int), ("silhouette", c_double), ("inertia", c_double), ("bic", c_double),
                ("log_likelihood", c_double)]


class mc_ksweep(Structure):
    _fields_ = [("k_max", c_int), ("silhouette_rows", c_int64), ("chosen_k", c_int), ("n_points", c_int),
                ("points", POINTER(mc_ksweep_point)), ("best", mc_clustering)]


class mc_metrics_opts(Structure):
    _fields_ = [("threads", c_int), ("block", c_int), ("algo", c_int), ("max_bytes", c_int64),
                ("progress", c_void_p), ("silhouette_sample", c_int64), ("sample_seed", c_uint64),
                ("dist", c_void_p)]


class mc_internal_scores(Structure):
    _fields_ = [("silhouette", c_double), ("calinski_harabasz", c_double), ("davies_bouldin", c_double),
                ("n", c_int64), ("n_used", c_int64), ("n_noise", c_int64), ("n_clusters", c_int),
                ("silhouette_rows", c_int64), ("silhouette_sampled", c_bool), ("silhouette_se", c_double),
                ("note", c_char * 160)]


class mc_contingency(Structure):
    _fields_ = [("n_clusters", c_int), ("n_classes", c_int), ("cluster_ids", POINTER(c_int32)),
                ("class_names", POINTER(c_char_p)), ("counts", POINTER(c_int64)), ("n_used", c_int64),
                ("n_unlabeled", c_int64), ("n_noise", c_int64)]


class mc_tsne_opts(Structure):
    _fields_ = [("perplexity", c_double), ("early_exaggeration", c_double), ("learning_rate", c_double),
                ("n_iter", c_int), ("n_iter_exploration", c_int), ("n_iter_without_progress", c_int),
                ("min_grad_norm", c_double), ("angle", c_double), ("init", c_int), ("seed", c_uint64),
                ("threads", c_int), ("knn", c_int), ("knn_exact_max", c_int64), ("progress", c_void_p)]


class mc_tsne_info(Structure):
    _fields_ = [("n_neighbors", c_int), ("learning_rate", c_double), ("n_iter", c_int),
                ("kl_divergence", c_double)]


class mc_umap_opts(Structure):
    _fields_ = [("n_components", c_int), ("n_neighbors", c_int), ("min_dist", c_double), ("spread", c_double),
                ("a", c_double), ("b", c_double), ("n_epochs", c_int), ("learning_rate", c_double),
                ("negative_sample_rate", c_double), ("repulsion_strength", c_double),
                ("local_connectivity", c_double), ("set_op_mix_ratio", c_double), ("init", c_int),
                ("seed", c_uint64), ("threads", c_int), ("knn", c_int), ("knn_exact_max", c_int64),
                ("progress", c_void_p)]


class mc_umap_info(Structure):
    _fields_ = [("n_neighbors", c_int), ("a", c_double), ("b", c_double), ("n_epochs", c_int),
                ("n_edges", c_int64), ("n_graph_components", c_int), ("init_residual", c_double)]


class mc_model_config(Structure):
    _fields_ = [("kind", c_int), ("input", c_int), ("n_hidden", c_int), ("hidden", c_int * MAX_LAYERS),
                ("n_conv", c_int), ("channels", c_int * MAX_LAYERS), ("latent", c_int), ("beta", c_double),
                ("warmup", c_int), ("condition", c_char_p), ("frames", c_int), ("epochs", c_int),
                ("batch", c_int), ("lr", c_double), ("seed", c_uint64), ("val_fraction", c_double),
                ("patience", c_int), ("clip", c_double), ("precision", c_int), ("fusion", c_int),
                ("n_lyr_hidden", c_int),
                ("lyr_hidden", c_int * MAX_LAYERS), ("n_fuse", c_int), ("fuse", c_int * MAX_LAYERS),
                ("audio_weight", c_double), ("lyrics_weight", c_double), ("lyrics_norm", c_int),
                ("features", c_int)]


class mc_model_data(Structure):
    _fields_ = [("n", c_int64), ("ndim", c_int), ("shape", c_int64 * 3), ("x", POINTER(c_float)),
                ("codes", POINTER(c_int32)), ("n_classes", c_int), ("classes", POINTER(c_char_p)),
                ("lyr_dim", c_int64), ("lyrics", POINTER(c_float)), ("has_lyrics", POINTER(c_uint8)),
                ("owned_x_", mc_array), ("owned_codes_", POINTER(c_int32)),
                ("owned_classes_", POINTER(c_char_p)), ("owned_lyrics_", POINTER(c_float)),
                ("owned_has_", POINTER(c_uint8))]


class mc_train_options(Structure):
    _fields_ = [("threads", c_int), ("checkpoint", c_char_p), ("loss_tsv", c_char_p), ("stop_after", c_int),
                ("low_memory", c_bool)]


class mc_train_summary(Structure):
    _fields_ = [("epochs_run", c_int), ("last_epoch", c_int), ("best_epoch", c_int),
                ("stopped_early", c_bool), ("interrupted", c_bool), ("recon", c_double), ("kl", c_double),
                ("total", c_double), ("val_recon", c_double), ("val_kl", c_double), ("val_total", c_double),
                ("seconds", c_double), ("samples_per_s", c_double), ("recon_audio", c_double),
                ("recon_lyrics", c_double)]


class mc_demo_config(Structure):
    _fields_ = [("seed", c_uint64), ("tracks_per_style", c_int), ("track_seconds", c_double)]


# Every mirrored struct, by its C name (python/tests/test_abi.py checks each against the compiler).
STRUCTS = {cls.__name__: cls for cls in [
    mc_rng, mc_array, mc_table, mc_store, mc_dsp_config, mc_extract_config, mc_extract_summary,
    mc_audio_info, mc_scaler, mc_pca, mc_cluster_config, mc_dendrogram, mc_clustering, mc_ksweep_point,
    mc_ksweep, mc_metrics_opts, mc_internal_scores, mc_contingency, mc_tsne_opts, mc_tsne_info,
    mc_umap_opts, mc_umap_info, mc_model_config, mc_model_data, mc_train_options, mc_train_summary,
    mc_demo_config]}

# ---------------------------------------------------------------------------------------- prototypes

F32P = POINTER(c_float)
F64P = POINTER(c_double)
I32P = POINTER(c_int32)
I64P = POINTER(c_int64)
ST = c_int  # mc_status

_PROTOTYPES = {
    # core
    "mc_version": (c_char_p, []),
    "mc_error_message": (c_char_p, []),
    "mc_error_clear": (None, []),
    "mc_status_name": (c_char_p, [c_int]),
    "mc_array_free": (None, [POINTER(mc_array)]),
    "mc_npy_read_f32": (ST, [c_char_p, POINTER(mc_array)]),
    "mc_table_get": (c_char_p, [POINTER(mc_table), c_int64, c_int]),
    "mc_threads_resolve": (c_int, [c_int]),
    # audio
    "mc_audio_loader_create": (ST, [c_int, POINTER(c_void_p)]),
    "mc_audio_loader_free": (None, [c_void_p]),
    "mc_audio_loader_load": (ST, [c_void_p, c_char_p, POINTER(F32P), I64P, POINTER(mc_audio_info)]),
    "mc_audio_resampled_length": (c_int64, [c_int64, c_int, c_int]),
    "mc_audio_resample": (ST, [F32P, c_int64, c_int, c_int, F32P]),
    "mc_audio_segment_count": (c_int64, [c_int64, c_int64, POINTER(c_bool)]),
    "mc_audio_segment_copy": (None, [F32P, c_int64, c_int64, c_int64, F32P]),
    "mc_audio_write": (ST, [c_char_p, F32P, c_int64, c_int, c_int, c_int]),
    # dsp
    "mc_dsp_config_default": (None, [POINTER(mc_dsp_config)]),
    "mc_dsp_config_validate": (ST, [POINTER(mc_dsp_config)]),
    "mc_dsp_frame_count": (c_int64, [POINTER(mc_dsp_config), c_int64]),
    "mc_dsp_plan_create": (ST, [POINTER(mc_dsp_config), POINTER(c_void_p)]),
    "mc_dsp_plan_free": (None, [c_void_p]),
    "mc_dsp_workspace_create": (ST, [c_void_p, c_int64, POINTER(c_void_p)]),
    "mc_dsp_workspace_free": (None, [c_void_p]),
    "mc_dsp_mel_power": (ST, [c_void_p, c_void_p, F32P, c_int64, F32P]),
    "mc_dsp_power_to_db": (None, [F32P, c_int64, c_double, c_double, c_double, F32P]),
    "mc_dsp_mfcc": (None, [c_void_p, F32P, c_int64, F32P]),
    "mc_dsp_mfcc_stats": (None, [F32P, c_int, c_int64, F32P]),
    # data
    "mc_extract_config_default": (None, [POINTER(mc_extract_config)]),
    "mc_data_extract": (ST, [POINTER(mc_extract_config), POINTER(c_char_p), c_int, c_char_p, c_void_p,
                             POINTER(mc_extract_summary)]),
    "mc_data_import_features": (ST, [c_char_p, c_char_p, c_char_p, c_char_p, POINTER(mc_extract_summary)]),
    "mc_store_open": (ST, [c_char_p, POINTER(mc_store)]),
    "mc_store_open_features": (ST, [c_char_p, c_int, POINTER(mc_store)]),
    "mc_store_close": (None, [POINTER(mc_store)]),
    "mc_store_load_logmel": (ST, [POINTER(mc_store), POINTER(mc_array)]),
    "mc_store_label_columns": (POINTER(c_char_p), [POINTER(mc_store), POINTER(c_int)]),
    "mc_store_label_codes": (ST, [POINTER(mc_store), c_char_p, I32P, POINTER(POINTER(c_char_p)),
                                  POINTER(c_int)]),
    "mc_store_free_classes": (None, [POINTER(c_char_p), c_int]),
    "mc_store_tracks": (ST, [POINTER(mc_store), I64P]),
    # models
    "mc_model_config_default": (None, [c_int, POINTER(mc_model_config)]),
    "mc_model_kind_parse": (ST, [c_char_p, POINTER(c_int)]),
    "mc_model_kind_name": (c_char_p, [c_int]),
    "mc_model_data_load": (ST, [c_char_p, c_int, c_char_p, POINTER(mc_model_data)]),
    "mc_model_data_load_lyrics": (ST, [c_char_p, POINTER(mc_model_data)]),
    "mc_model_data_free": (None, [POINTER(mc_model_data)]),
    "mc_model_create": (ST, [POINTER(mc_model_config), POINTER(mc_model_data), POINTER(c_void_p)]),
    "mc_model_free": (None, [c_void_p]),
    "mc_model_get_config": (POINTER(mc_model_config), [c_void_p]),
    "mc_model_epochs_done": (c_int, [c_void_p]),
    "mc_model_set_epochs": (None, [c_void_p, c_int]),
    "mc_model_latent_dim": (c_int, [c_void_p]),
    "mc_model_input_shape": (None, [c_void_p, POINTER(c_int), I64P]),
    "mc_model_save": (ST, [c_void_p, c_char_p]),
    "mc_model_load": (ST, [c_char_p, POINTER(c_void_p)]),
    "mc_model_train": (ST, [c_void_p, POINTER(mc_model_data), POINTER(mc_train_options), c_void_p,
                            POINTER(mc_train_summary)]),
    "mc_model_encode": (ST, [c_void_p, POINTER(mc_model_data), c_int, F32P, F32P, I64P]),
    "mc_model_classes": (POINTER(c_char_p), [c_void_p, POINTER(c_int)]),
    "mc_model_decode": (ST, [c_void_p, F32P, I32P, c_int64, c_int, F32P]),
    # cluster
    "mc_cluster_config_default": (None, [POINTER(mc_cluster_config)]),
    "mc_cluster_algo_parse": (ST, [c_char_p, POINTER(c_int)]),
    "mc_linkage_parse": (ST, [c_char_p, POINTER(c_int)]),
    "mc_covariance_parse": (ST, [c_char_p, POINTER(c_int)]),
    "mc_cluster_fit": (ST, [POINTER(mc_cluster_config), F32P, c_int64, c_int64, POINTER(mc_clustering)]),
    "mc_cluster_kmeans_from": (ST, [POINTER(mc_cluster_config), F32P, c_int64, c_int64, F32P,
                                    POINTER(mc_clustering)]),
    "mc_clustering_free": (None, [POINTER(mc_clustering)]),
    "mc_cluster_dendrogram_cut": (ST, [POINTER(mc_dendrogram), c_int, I32P]),
    "mc_cluster_pca_fit": (ST, [F32P, c_int64, c_int64, c_int, c_bool, POINTER(mc_pca)]),
    "mc_cluster_pca_transform": (ST, [POINTER(mc_pca), F32P, c_int64, c_int64, F32P]),
    "mc_cluster_pca_free": (None, [POINTER(mc_pca)]),
    "mc_cluster_scaler_fit": (ST, [F32P, c_int64, c_int64, POINTER(mc_scaler)]),
    "mc_cluster_scaler_transform": (ST, [POINTER(mc_scaler), F32P, c_int64, c_int64, F32P]),
    "mc_cluster_scaler_free": (None, [POINTER(mc_scaler)]),
    "mc_cluster_dbscan_auto_eps": (ST, [F32P, c_int64, c_int64, c_int, c_int, F64P, F32P]),
    # metrics
    "mc_metrics_opts_default": (None, [POINTER(mc_metrics_opts)]),
    "mc_metrics_internal": (ST, [F32P, c_int64, c_int, I32P, POINTER(mc_metrics_opts),
                                 POINTER(mc_internal_scores)]),
    "mc_metrics_silhouette": (ST, [F32P, c_int64, c_int, I32P, POINTER(mc_metrics_opts), F64P, F64P,
                                   POINTER(mc_internal_scores)]),
    "mc_metrics_calinski_harabasz": (ST, [F32P, c_int64, c_int, I32P, F64P, POINTER(mc_internal_scores)]),
    "mc_metrics_davies_bouldin": (ST, [F32P, c_int64, c_int, I32P, F64P, POINTER(mc_internal_scores)]),
    "mc_metrics_contingency": (ST, [I32P, I32P, c_int64, c_int, POINTER(c_char_p), POINTER(mc_contingency)]),
    "mc_metrics_contingency_free": (None, [POINTER(mc_contingency)]),
    "mc_metrics_ari": (c_double, [POINTER(mc_contingency)]),
    "mc_metrics_nmi": (c_double, [POINTER(mc_contingency)]),
    "mc_metrics_ami": (c_double, [POINTER(mc_contingency)]),
    "mc_metrics_purity": (c_double, [POINTER(mc_contingency)]),
    "mc_metrics_track_vote": (ST, [I32P, I64P, c_int64, c_int64, I32P]),
    "mc_metrics_track_means": (ST, [F32P, c_int64, c_int, I64P, c_int64, F32P]),
    # embed
    "mc_embed_knn": (ST, [F32P, c_int64, c_int, c_int, c_int, c_int64, c_uint64, c_int, I32P, F32P]),
    "mc_tsne_opts_default": (None, [POINTER(mc_tsne_opts)]),
    "mc_embed_tsne": (ST, [F32P, c_int64, c_int, POINTER(mc_tsne_opts), F32P, POINTER(mc_tsne_info)]),
    "mc_umap_opts_default": (None, [POINTER(mc_umap_opts)]),
    "mc_embed_umap": (ST, [F32P, c_int64, c_int, POINTER(mc_umap_opts), F32P, POINTER(mc_umap_info)]),
    "mc_embed_trustworthiness": (ST, [F32P, c_int64, c_int, F32P, c_int, c_int, c_int, F64P]),
    # pipeline
    "mc_demo_config_default": (None, [POINTER(mc_demo_config)]),
    "mc_pipeline_demo_corpus": (ST, [c_char_p, POINTER(mc_demo_config), c_void_p]),
    "mc_pipeline_choose_k": (ST, [POINTER(mc_cluster_config), F32P, c_int64, c_int64, c_int, c_int64,
                                  c_void_p, POINTER(mc_ksweep)]),
    "mc_pipeline_ksweep_free": (None, [POINTER(mc_ksweep)]),
}

for _name, (_res, _args) in _PROTOTYPES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args

# ---------------------------------------------------------------------------------------- helpers


def version():
    """The library's version string (mc_version), e.g. "0.1.0"."""
    return lib.mc_version().decode()


def enc(s):
    """str/PathLike -> bytes for a const char * (None stays NULL)."""
    if s is None:
        return None
    return os.fsencode(s)


def f32_matrix(X, name="X"):
    """X as a C-contiguous float32 (n, d) array (a copy only when needed)."""
    a = np.ascontiguousarray(X, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, d), got shape {a.shape}")
    return a


def ptr(a, ctype):
    """Pointer to a numpy array's data, typed for a prototype (None -> NULL)."""
    if a is None:
        return None
    return a.ctypes.data_as(POINTER(ctype))


def copy_array(p, shape, dtype):
    """Copy C memory (a typed pointer) of the given shape into a new numpy array; NULL -> None."""
    if not p:
        return None
    count = int(np.prod(shape)) if len(shape) else 1
    if count == 0:
        return np.zeros(shape, dtype=dtype)
    buf = np.ctypeslib.as_array(p, shape=(count,))
    return np.array(buf, dtype=dtype, copy=True).reshape(shape)


def take_mc_array(a):
    """Copy an mc_array (float32 data) into numpy and free it."""
    try:
        shape = tuple(a.shape[i] for i in range(a.ndim))
        return copy_array(ctypes.cast(a.data, F32P), shape, np.float32)
    finally:
        lib.mc_array_free(ctypes.byref(a))


def strings(p, n):
    """A C array of n char * -> list of str."""
    return [p[i].decode("utf-8", "replace") for i in range(n)] if n else []


def c_strings(items):
    """A list of str -> a C array of char * (kept alive by the returned object)."""
    arr = (c_char_p * len(items))(*[enc(s) if s is not None else None for s in items])
    return arr


def parse_enum(fn, name, what):
    v = c_int(0)
    check(fn(enc(name), ctypes.byref(v)))
    return v.value


__all__ = ["lib", "library_path", "MusiclustError", "check", "version"]
