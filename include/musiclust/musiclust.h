/* Umbrella header: the whole public API of libmusiclust, in module order (DESIGN.md). */
#ifndef MUSICLUST_H
#define MUSICLUST_H
#include <musiclust/core.h>
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
