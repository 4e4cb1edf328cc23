/* body.c - the intake of request bodies: multipart parts streamed into the
 * request (only parts named by the route's form parameters are kept, each within
 * its limit), urlencoded forms buffered then decoded, anything else counted and
 * dropped. Errors become FastAPI's answers: 400 "There was an error parsing the
 * body", 413 with the limit. */
#include "api/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PARSE_ERROR "There was an error parsing the body"

static void refuse(fc_api_body *b, int status, const char *detail)
{
    if (b->status)
        return;
    b->status = status;
    snprintf(b->detail, sizeof b->detail, "%s", detail);
}

static const fc_api_param *form_param(const fc_api_route *route, const char *name)
{
    for (int i = 0; route && i < route->n_params; i++)
        if (route->params[i].in == FC_API_IN_FORM && !strcmp(route->params[i].name, name))
            return &route->params[i];
    return NULL;
}

static bool has_form(const fc_api_route *route)
{
    for (int i = 0; route && i < route->n_params; i++)
        if (route->params[i].in == FC_API_IN_FORM)
            return true;
    return false;
}

static fc_status on_part(void *ctx, const fc_multipart_part *part, fc_error *err)
{
    fc_api_body *b = ctx;
    fc_api_request *req = b->req;
    b->cur = NULL;
    const fc_api_param *p = form_param(req->match.route, part->name);
    if (!p)
        return FC_OK; /* not ours: dropped, as FastAPI ignores extra fields */
    if (fc_api_req_add_field(req, part->name, "", 0, err))
        return FC_ERR_NOMEM;
    fc_api_part *kept = &req->parts[req->n_parts - 1];
    if (part->filename && !(kept->filename = strdup(part->filename)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    if (part->content_type && !(kept->content_type = strdup(part->content_type)))
        return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
    b->cur = kept;
    b->cur_limit = p->type == FC_API_FILE ? b->max_file : FC_API_MAX_FIELD_BYTES;
    return FC_OK;
}

static fc_status on_data(void *ctx, const unsigned char *data, size_t len, fc_error *err)
{
    fc_api_body *b = ctx;
    fc_api_part *p = b->cur;
    if (!p)
        return FC_OK;
    if (len > b->cur_limit - p->size)
        return fc_error_set(err, FC_ERR_LIMIT, "%s '%s' is larger than %zu bytes",
                            p->filename ? "File" : "Form field", p->name, b->cur_limit);
    if (p->size + len + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->size + len + 1)
            cap *= 2;
        if (cap > b->cur_limit + 1)
            cap = b->cur_limit + 1;
        unsigned char *grown = realloc(p->data, cap);
        if (!grown)
            return fc_error_set(err, FC_ERR_NOMEM, "out of memory");
        p->data = grown;
        p->cap = cap;
    }
    memcpy(p->data + p->size, data, len);
    p->size += len;
    p->data[p->size] = '\0';
    return FC_OK;
}

static fc_status on_part_end(void *ctx, fc_error *err)
{
    (void)err;
    ((fc_api_body *)ctx)->cur = NULL;
    return FC_OK;
}

/* Whether a Content-Type value names the media type (parameters ignored). */
static bool is_type(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    while (*content_type == ' ')
        content_type++;
    return !strncasecmp(content_type, type, n) &&
           (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

int fc_api_body_begin(fc_api_body *b, fc_api_request *req, const char *content_type,
                      size_t max_file, size_t max_total)
{
    memset(b, 0, sizeof *b);
    b->req = req;
    b->max_file = max_file;
    b->max_total = max_total;
    b->mode = FC_API_BODY_DISCARD;
    if (!content_type || !has_form(req->match.route))
        return 0;
    if (is_type(content_type, "multipart/form-data")) {
        char boundary[FC_MULTIPART_MAX_BOUNDARY + 1];
        fc_multipart_callbacks cb = {on_part, on_data, on_part_end, b};
        req->form_given = true;
        if (fc_multipart_boundary(content_type, boundary, sizeof boundary) != FC_OK) {
            refuse(b, 400, PARSE_ERROR);
            return b->status;
        }
        if (!(b->mp = fc_multipart_new(boundary, &cb))) {
            refuse(b, 500, "out of memory");
            return b->status;
        }
        b->mode = FC_API_BODY_MULTIPART;
    } else if (is_type(content_type, "application/x-www-form-urlencoded")) {
        req->form_given = true;
        b->mode = FC_API_BODY_URLENCODED;
    }
    return 0;
}

void fc_api_body_feed(fc_api_body *b, const void *data, size_t len)
{
    b->total += len;
    if (b->total > b->max_total) {
        char msg[192];
        snprintf(msg, sizeof msg,
                 "Request body too large: at most %zu bytes (a file of up to "
                 "MAX_IMAGE_SIZE_BYTES = %zu, plus 1 MiB for the other fields)",
                 b->max_total, b->max_file);
        refuse(b, 413, msg);
    }
    if (b->status)
        return;
    if (b->mode == FC_API_BODY_MULTIPART) {
        fc_error err = {0};
        fc_status st = fc_multipart_feed(b->mp, data, len, &err);
        if (st == FC_ERR_LIMIT)
            refuse(b, 413, err.msg);
        else if (st == FC_ERR_NOMEM)
            refuse(b, 500, "out of memory");
        else if (st)
            refuse(b, 400, PARSE_ERROR);
    } else if (b->mode == FC_API_BODY_URLENCODED) {
        if (b->len + len > b->cap) {
            size_t cap = b->cap ? b->cap : 1024;
            while (cap < b->len + len)
                cap *= 2;
            char *grown = realloc(b->buf, cap);
            if (!grown) {
                refuse(b, 500, "out of memory");
                return;
            }
            b->buf = grown;
            b->cap = cap;
        }
        memcpy(b->buf + b->len, data, len);
        b->len += len;
    }
}

static fc_status add_form_field(void *ctx, const char *name, size_t name_len, const char *value,
                                size_t value_len, fc_error *err)
{
    fc_api_body *b = ctx;
    (void)name_len;
    if (!form_param(b->req->match.route, name))
        return FC_OK;
    if (value_len > FC_API_MAX_FIELD_BYTES)
        return fc_error_set(err, FC_ERR_LIMIT, "Form field '%s' is larger than %d bytes", name,
                            FC_API_MAX_FIELD_BYTES);
    return fc_api_req_add_field(b->req, name, value, value_len, err);
}

int fc_api_body_end(fc_api_body *b)
{
    fc_error err = {0};
    if (b->status)
        return b->status;
    if (b->mode == FC_API_BODY_MULTIPART) {
        if (fc_multipart_finish(b->mp, &err))
            refuse(b, 400, PARSE_ERROR);
    } else if (b->mode == FC_API_BODY_URLENCODED) {
        fc_status st = fc_urlencoded_parse(b->buf ? b->buf : "", b->len, add_form_field, b, &err);
        if (st == FC_ERR_LIMIT)
            refuse(b, 413, err.msg);
        else if (st)
            refuse(b, 500, "out of memory");
    }
    return b->status;
}

void fc_api_body_free(fc_api_body *b)
{
    fc_multipart_free(b->mp);
    free(b->buf);
    b->mp = NULL;
    b->buf = NULL;
}
