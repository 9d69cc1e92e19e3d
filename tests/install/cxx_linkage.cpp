// ctest install_tree: every public header compiled as C++ (through the umbrella musiclust.h) and one
// function of each module called and linked against the installed libmusiclust.so. Without
// extern "C" in a header, the call would look for a C++-mangled name and fail to link.
#include <musiclust/musiclust.h>

#include <cstdio>
#include <cstring>

int main() {
    mc_dsp_config dsp;
    mc_dsp_config_default(&dsp);
    mc_metrics_opts mo;
    mc_metrics_opts_default(&mo);
    mc_umap_opts uo;
    mc_umap_opts_default(&uo);
    mc_run_config rc;
    mc_run_config_default(&rc);
    mc_model_config mcfg;
    mc_model_config_default(MC_MODEL_KIND_VAE, &mcfg);
    double rgb[3];
    mc_plot_category_color(0, rgb);
    char buf[32];
    mc_report_format_value(0.5, buf, sizeof buf);
    int ok = std::strcmp(mc_version(), "") != 0                      // core
             && mc_audio_resampled_length(22050, 22050, 11025) == 11025 // audio
             && dsp.n_fft == 2048                                     // dsp
             && mc_text_lower('A') == 'a'                             // text
             && mc_data_is_audio_name("x.flac")                       // data
             && mc_nn_set_threads(1) >= 1                             // nn
             && std::strcmp(mc_model_kind_name(MC_MODEL_KIND_VAE), "vae") == 0 // models
             && std::strcmp(mc_cluster_algo_name(MC_CLUSTER_ALGO_GMM), "gmm") == 0 // cluster
             && uo.n_components == 2                                  // embed
             && rgb[0] >= 0.0;                                        // plot
    std::printf("C++ linkage: %s (report formats 0.5 as %s)\n", ok ? "ok" : "FAILED", buf);
    return ok ? 0 : 1;
}
