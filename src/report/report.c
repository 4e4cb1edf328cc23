/* report.c - the HTML contact sheet of a run (see report.h): thumbnails cropped from
 * each image once (box + margin, resized so the longest side is thumb_px), then the
 * page. */
#include "report/report.h"

#include "core/json.h"
#include "image/image.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

fc_report_opts fc_report_opts_default(void)
{
    return (fc_report_opts){.thumb_px = 96, .margin = 0.25f, .max_bytes = 0, .extra_html = NULL};
}

void fc_report_escape(const char *s, char *out, size_t size)
{
    size_t o = 0;
    if (!size)
        return;
    for (size_t n; s && *s; s += n) {
        char ref[8];
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        n = rep ? 1 : (size_t)fc_utf8_seq_len(s);
        if (!n) {
            snprintf(ref, sizeof ref, "&#x%02X;", (unsigned char)*s);
            rep = ref;
            n = 1;
        }
        size_t len = rep ? strlen(rep) : n;
        if (o + len >= size)
            break;
        memcpy(out + o, rep ? rep : s, len);
        o += len;
    }
    out[o] = 0;
}

/* Percent-encodes every byte of s but letters, digits and "-._~" into out (size bytes,
 * always terminated; cut at a whole escape): a thumbnail folder named after a report
 * "party #2?.html" stays one relative URL path, not a path plus fragment or query. */
static void url_escape(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || (ch && strchr("-._~", ch));
        if (o + (plain ? 1 : 3) >= size)
            break;
        if (plain) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = 0;
}

/* The thumbnail of box [x,y,w,h] of img (full resolution) to path. */
static fc_status write_thumb(const fc_image *img, const int *bbox, const fc_report_opts *o,
                             const char *path, fc_error *err)
{
    float m = o->margin;
    int x0 = (int)floorf((float)bbox[0] - m * (float)bbox[2]);
    int y0 = (int)floorf((float)bbox[1] - m * (float)bbox[3]);
    int x1 = (int)ceilf((float)(bbox[0] + bbox[2]) + m * (float)bbox[2]);
    int y1 = (int)ceilf((float)(bbox[1] + bbox[3]) + m * (float)bbox[3]);
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > img->width ? img->width : x1, y1 = y1 > img->height ? img->height : y1;
    if (x1 - x0 < 1 || y1 - y0 < 1)
        return fc_error_set(err, FC_ERR_ARG, "face box outside the image");
    fc_image crop = {.width = x1 - x0, .height = y1 - y0, .stride = img->stride,
                     .rgb = img->rgb + (size_t)y0 * (size_t)img->stride + (size_t)x0 * 3,
                     .scale = 1};
    int lw = crop.width > crop.height ? crop.width : crop.height;
    float s = (float)o->thumb_px / (float)lw;
    int tw = (int)lroundf((float)crop.width * s), th = (int)lroundf((float)crop.height * s);
    fc_image *t = fc_image_new(tw < 1 ? 1 : tw, th < 1 ? 1 : th, err);
    if (!t)
        return err ? err->code : FC_ERR_NOMEM;
    fc_image_resize(&crop, t);
    fc_status rc = fc_image_write_png(t, path, err);
    fc_image_free(t);
    return rc;
}

static const fc_face_list *sort_faces;
static int cmp_face_path(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_faces->items[x].image_path, sort_faces->items[y].image_path);
    return c ? c : (x > y) - (x < y);
}

/* Thumbnails of every face, one decode per image; ok[i] = 1 when written. */
static fc_status make_thumbs(fc_source *src, const fc_face_list *faces, const char *dir,
                             const fc_report_opts *o, char *ok, int *n_ok)
{
    size_t *ord = malloc((faces->n ? faces->n : 1) * sizeof *ord);
    if (!ord)
        return FC_ERR_NOMEM;
    for (size_t i = 0; i < faces->n; i++)
        ord[i] = i;
    sort_faces = faces;
    qsort(ord, faces->n, sizeof *ord, cmp_face_path);
    fc_decode_opts dopts = fc_decode_opts_default();
    size_t i = 0;
    while (i < faces->n) {
        const char *key = faces->items[ord[i]].image_path;
        size_t j = i;
        while (j < faces->n && !strcmp(faces->items[ord[j]].image_path, key))
            j++;
        fc_error err = {0};
        uint8_t *bytes = NULL;
        size_t len = 0;
        fc_image *img = NULL;
        if (fc_source_fetch(src, key, o->max_bytes, &bytes, &len, &err) == FC_OK)
            img = fc_image_decode(bytes, len, &dopts, &err);
        free(bytes);
        for (size_t k = i; img && k < j; k++) {
            const fc_face_rec *f = &faces->items[ord[k]];
            char path[4096];
            if ((size_t)snprintf(path, sizeof path, "%s/%s.png", dir, f->face_id) >= sizeof path)
                continue;
            if (write_thumb(img, f->bbox, o, path, &err) == FC_OK)
                ok[ord[k]] = 1, (*n_ok)++;
        }
        fc_image_free(img);
        i = j;
    }
    free(ord);
    return FC_OK;
}

/* One face; files_url: the thumbnail folder as a relative URL (url_escape'd). */
static void face_html(FILE *f, const char *files_url, const fc_face_rec *face, int written,
                      int is_owner)
{
    char path[2048];
    fc_report_escape(face->image_path, path, sizeof path);
    fprintf(f, "<figure class=\"face%s\">", is_owner ? " owner" : "");
    if (written)
        fprintf(f, "<img src=\"%s/%s.png\" alt=\"face %s\" title=\"%s\">", files_url, face->face_id,
                face->face_id, path);
    else
        fprintf(f, "<div class=\"missing\" title=\"%s\">image unavailable</div>", path);
    fprintf(f, "<figcaption>%s q%.2f c%.2f</figcaption></figure>\n", is_owner ? "owner" : "",
            face->quality_score, face->confidence);
}

/* The failed files of the run (images stored as not ok), each with its reason. */
static void failed_html(FILE *f, const fc_image_list *imgs, size_t n_failed)
{
    fprintf(f, "<div class=\"person failed\" id=\"failed\"><h2>failed files &middot; %zu</h2>"
               "<ul>\n", n_failed);
    for (size_t i = 0; i < imgs->n; i++) {
        if (imgs->items[i].ok)
            continue;
        char path[2048], why[2048];
        fc_report_escape(imgs->items[i].image_path, path, sizeof path);
        fc_report_escape(imgs->items[i].reason ? imgs->items[i].reason : "failed", why,
                         sizeof why);
        fprintf(f, "<li><code>%s</code>: %s</li>\n", path, why);
    }
    fprintf(f, "</ul></div>\n");
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>facecluster run %s</title>\n<style>\n"
    "body{font-family:sans-serif;margin:1em;background:#fafafa;color:#222}\n"
    "table.summary td{padding:2px 10px}\n"
    ".person{background:#fff;border:1px solid #ddd;margin:8px 0;padding:6px}\n"
    ".person h2{font-size:15px;margin:2px 0 6px}\n"
    ".faces{display:flex;flex-wrap:wrap;gap:6px}\n"
    "figure.face{margin:0;text-align:center;font-size:10px;color:#666}\n"
    "figure.face img{display:block;height:96px;border:2px solid #ccc}\n"
    "figure.owner img{border-color:#2a7}\n"
    ".missing{width:96px;height:96px;background:#eee;line-height:96px}\n"
    ".unassigned{border-style:dashed}\n.failed{border-color:#c44}\n</style></head><body>\n";

fc_status fc_report_write(fc_store *s, fc_source *src, const char *clustering_id,
                          const char *html_path, const fc_report_opts *opts, int *n_thumbs,
                          fc_error *err)
{
    fc_report_opts o = opts ? *opts : fc_report_opts_default();
    fc_run_rec run = {0};
    fc_person_list persons = {0};
    fc_face_list faces = {0};
    fc_image_list imgs = {0};
    size_t n_failed = 0;
    char *ok = NULL;
    fc_strmap by_id = {0}; /* face_id -> row of faces: members come from person_list */
    FILE *f = NULL;
    int found = 0, n_ok = 0;
    char dir[4096], tmp[4200], files_url[1024];
    size_t stem = strlen(html_path);
    if (stem > 5 && !strcmp(html_path + stem - 5, ".html"))
        stem -= 5;
    if ((size_t)snprintf(dir, sizeof dir, "%.*s_files", (int)stem, html_path) >= sizeof dir ||
        (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", html_path) >= sizeof tmp)
        return fc_error_set(err, FC_ERR_LIMIT, "report path too long");
    url_escape(strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir, files_url, sizeof files_url);
    fc_status rc = fc_store_run_get(s, clustering_id, &run, &found, err);
    if (!rc && (!found || run.status != FC_RUN_DONE))
        rc = fc_error_set(err, FC_ERR_ARG, "run %s is not a finished run", clustering_id);
    if (!rc)
        rc = fc_store_person_list(s, clustering_id, NULL, &persons, err);
    if (!rc)
        rc = fc_store_face_list(s, clustering_id, NULL, 0, &faces, err);
    if (!rc)
        rc = fc_store_run_images(s, clustering_id, &imgs, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < imgs.n; i++)
        n_failed += !imgs.items[i].ok;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = fc_error_set(err, FC_ERR_IO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if (fc_face_list_index(&faces, &by_id)) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "face index");
        goto out;
    }
    ok = calloc(faces.n ? faces.n : 1, 1);
    if (!ok || make_thumbs(src, &faces, dir, &o, ok, &n_ok)) {
        rc = fc_error_set(err, FC_ERR_NOMEM, "thumbnails");
        goto out;
    }
    if (!(f = fopen(tmp, "w"))) {
        rc = fc_error_set(err, FC_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    char bp[600];
    fc_report_escape(run.bucket, bp, sizeof bp);
    fprintf(f, page_head, run.clustering_id);
    fprintf(f, "<h1>Persons of %s/", bp);
    fc_report_escape(run.sub, bp, sizeof bp);
    fprintf(f, "%s</h1>\n<table class=\"summary\">\n", bp);
    fprintf(f, "<tr><td>clustering_id</td><td>%s</td></tr>\n<tr><td>finished</td><td>%s</td></tr>\n",
            run.clustering_id, run.finished_at);
    fprintf(f, "<tr><td>images</td><td>%lld</td></tr><tr><td>faces</td><td>%lld</td></tr>\n",
            (long long)run.total_images, (long long)run.total_faces);
    fprintf(f, "<tr><td>failed files</td><td id=\"n-failed\">%zu</td></tr>\n", n_failed);
    fprintf(f, "<tr><td>persons</td><td id=\"n-persons\">%lld</td></tr><tr><td>unassigned faces</td>"
               "<td>%lld</td></tr>\n</table>\n",
            (long long)run.total_persons, (long long)run.unassigned_faces);
    if (n_failed)
        fprintf(f, "<p><a href=\"#failed\">failed files</a> (not read or not an image)</p>\n");
    if (o.extra_html)
        fprintf(f, "%s\n", o.extra_html);
    for (size_t p = 0; p < persons.n; p++) {
        const fc_person_rec *pr = &persons.items[p];
        fprintf(f, "<div class=\"person\" id=\"%s\"><h2>%s &middot; %zu %s &middot; best "
                   "quality %.2f</h2><div class=\"faces\">\n",
                pr->person_id, pr->person_id, pr->n_members, pr->n_members == 1 ? "face" : "faces",
                pr->best_quality_score);
        for (int pass = 0; pass < 2; pass++)
            for (size_t m = 0; m < pr->n_members; m++) {
                int owner = !strcmp(pr->members[m].face_id, pr->owner_face_id);
                if (owner != (pass == 0))
                    continue;
                int i = fc_strmap_get(&by_id, pr->members[m].face_id);
                if (i >= 0)
                    face_html(f, files_url, &faces.items[i], ok[i], owner);
            }
        fprintf(f, "</div></div>\n");
    }
    fprintf(f, "<div class=\"person unassigned\" id=\"unassigned\"><h2>unassigned &middot; "
               "%lld faces</h2><div class=\"faces\">\n", (long long)run.unassigned_faces);
    for (size_t i = 0; i < faces.n; i++)
        if (!faces.items[i].person_id[0])
            face_html(f, files_url, &faces.items[i], ok[i], 0);
    fprintf(f, "</div></div>\n");
    if (n_failed)
        failed_html(f, &imgs, n_failed);
    fprintf(f, "</body></html>\n");
    if (fclose(f) != 0) {
        f = NULL;
        rc = fc_error_set(err, FC_ERR_IO, "%s: write failed", tmp);
        goto out;
    }
    f = NULL;
    if (rename(tmp, html_path) != 0)
        rc = fc_error_set(err, FC_ERR_IO, "%s: %s", html_path, strerror(errno));
out:
    if (f)
        fclose(f);
    if (rc)
        unlink(tmp);
    if (n_thumbs)
        *n_thumbs = n_ok;
    free(ok);
    fc_strmap_free(&by_id);
    fc_run_rec_clear(&run);
    fc_person_list_free(&persons);
    fc_face_list_free(&faces);
    fc_image_list_free(&imgs);
    return rc;
}
