/* Umbrella header: the whole public API of libmusiclust. */
#ifndef MUSICLUST_H
#define MUSICLUST_H
#include <musiclust/core.h>
#include <musiclust/audio.h>
#include <musiclust/dsp.h>
#include <musiclust/data.h>
#include <musiclust/pipeline.h>
#endif
