/* plot.h - `mmsim plot`: paper-ready figures through gnuplot.
 *
 * Every figure is written as three files side by side: OUT.gp (the gnuplot script, to
 * restyle and rerun with `cd DIR && gnuplot OUT.gp`), OUT.dat (the data it plots, one
 * gnuplot data block per line of the figure) and OUT itself (png via pngcairo, svg, or pdf
 * via pdfcairo, chosen by the extension). Columns are picked from the input CSVs by name;
 * the names each kind reads are listed in docs/analysis.md. */
#ifndef MMSIM_PLOT_H
#define MMSIM_PLOT_H

#include <stddef.h>

/* The knee of a decreasing curve is mrc_knee() (analysis/mrc.h). */

/* Runs `gnuplot SCRIPT` in folder `dir`, killing it after timeout_s seconds. Returns 0 when
 * it exited with status 0, else -1 with the reason in err. */
int plot_run_gnuplot(const char *dir, const char *script, int timeout_s, char *err, size_t errlen);

#endif
