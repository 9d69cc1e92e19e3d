/* Version of cairo (plot.h), so that run records need not include its header. */
#include <musiclust/plot.h>

#include <cairo.h>

const char *mc_plot_cairo_version(void) { return cairo_version_string(); }
