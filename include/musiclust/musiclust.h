/* Umbrella header: the whole public API of libmusiclust, in module order (DESIGN.md). Usable from C++:
 * each header below declares its functions extern "C" itself (ctest install_tree compiles this header
 * as C++ and links a call into every module). For the CLI and programs using the library, not for
 * the library's own modules (the build refuses it there). */
#ifndef MUSICLUST_H
#define MUSICLUST_H
#include <musiclust/core.h>
#include <musiclust/dist.h>
#include <musiclust/audio.h>
#include <musiclust/dsp.h>
#include <musiclust/text.h>
#include <musiclust/data.h>
#include <musiclust/nn.h>
#include <musiclust/models.h>
#include <musiclust/cluster.h>
#include <musiclust/metrics.h>
#include <musiclust/embed.h>
#include <musiclust/plot.h>
#include <musiclust/report.h>
#include <musiclust/pipeline.h>
#endif
