/* The library behind the plot module, for run.json and the report. */
#include <musiclust/plot.h>

#include <cairo.h>

int mc_plot_versions(mc_library_version *out, int cap) {
    if (cap >= 1) out[0] = (mc_library_version){"cairo", cairo_version_string()};
    return 1;
}
