/* report.h - the HTML contact sheet of a clustering run: the run's numbers at the top,
 * then one row per person with a thumbnail of each face (the owner first), the
 * unassigned faces, and the files that failed (path and reason) last. The page works offline: thumbnails are PNG files in a folder
 * beside it ("report.html" -> "report_files/<face_id>.png"), no script, no CDN. */
#ifndef FC_REPORT_REPORT_H
#define FC_REPORT_REPORT_H

#include "core/status.h"
#include "source/source.h"
#include "store/store.h"

typedef struct {
    int thumb_px;        /* longest side of a thumbnail (default 96) */
    float margin;        /* box grown by this fraction of its size per side (0.25) */
    size_t max_bytes;    /* largest image fetched (0: no limit) */
    const char *extra_html; /* already-escaped HTML put under the summary, or NULL */
} fc_report_opts;

/* thumb_px 96, margin 0.25, max_bytes 0, no extra. */
fc_report_opts fc_report_opts_default(void);

/* Writes the sheet of the done run clustering_id to html_path (replaced; written to a
 * temporary file first) and its thumbnails, fetching each image once from src. An
 * image that cannot be read any more gives a placeholder, not a failure. *n_thumbs
 * (may be NULL) = thumbnails written. */
fc_status fc_report_write(fc_store *s, fc_source *src, const char *clustering_id,
                          const char *html_path, const fc_report_opts *opts, int *n_thumbs,
                          fc_error *err);

/* Escapes &, <, >, " and ' of s for HTML into out (size bytes, always terminated, cut
 * at a whole character or reference). A byte outside a valid UTF-8 sequence (a file
 * name from a Latin-1 system) becomes the reference of its Latin-1 character, \xe9
 * "&#xE9;", as JSON shows it (fc_json_text): the page stays valid UTF-8. */
void fc_report_escape(const char *s, char *out, size_t size);

#endif
