/* Shared pieces of the report module. */
#ifndef MC_REPORT_INTERNAL_H
#define MC_REPORT_INTERNAL_H

#include <musiclust/report.h>

#include <stdio.h>

/* Write s to f with HTML escaping (& < > " '). */
void mc__html_text(FILE *f, const char *s);

#endif
