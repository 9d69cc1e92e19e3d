/* Compiled as src/audio/ is compiled (ctest layering_upward_include_fails): audio sits below pipeline,
 * so this include must stop the build. */
#include <musiclust/pipeline.h>

int mc_layering_probe_up(void) { return 0; }
