/* Helpers shared by the files of src/core; not part of the public API. */
#ifndef MUSICLUST_CORE_INTERNAL_H
#define MUSICLUST_CORE_INTERNAL_H

#include <musiclust/core.h>

#endif
