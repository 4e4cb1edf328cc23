/* s3_xml.c - reading S3's XML with libxml2: ListObjectsV2 pages (ListBucketResult)
 * and <Error> documents. Names are matched without their namespace; the parser never
 * touches the network and never expands entities. */
#include "source/s3.h"

#include "core/pct.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

static void xml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* What libxml2 says while it works. Some errors (bytes that do not fit the declared
 * encoding, failed allocations) go to its generic handler, which XML_PARSE_NOERROR
 * does not silence and which prints on stderr: that handler (per thread) is a
 * silent one meanwhile. Every error it raises passes the structured handler (per
 * thread too), which notes one that says XML_ERR_NO_MEMORY: libxml2 2.9 has no
 * single place that tells (the parser context's errNo is overwritten by the next
 * error, the tree builder's failures leave the document well-formed, and a failed
 * input setup returns NULL like a malformed page). Both are put back after, and
 * libxml2's per-thread copy of the last error (xmlGetLastError), which nothing here
 * reads, is freed rather than left on every thread that met a bad page. */
typedef struct {
    xmlGenericErrorFunc generic;
    void *generic_ctx;
    xmlStructuredErrorFunc structured;
    void *structured_ctx;
    int nomem; /* an error said XML_ERR_NO_MEMORY */
} xml_watch;

#if LIBXML_VERSION >= 21200
static void xml_noted(void *user, const xmlError *e)
#else
static void xml_noted(void *user, xmlErrorPtr e)
#endif
{
    if (e && e->code == XML_ERR_NO_MEMORY)
        ((xml_watch *)user)->nomem = 1;
}

static void xml_watch_begin(xml_watch *w)
{
    *w = (xml_watch){xmlGenericError, xmlGenericErrorContext, xmlStructuredError,
                     xmlStructuredErrorContext, 0};
    xmlSetGenericErrorFunc(NULL, xml_quiet);
    xmlSetStructuredErrorFunc(w, xml_noted);
}

static void xml_watch_end(const xml_watch *w)
{
    xmlSetGenericErrorFunc(w->generic_ctx, w->generic);
    xmlSetStructuredErrorFunc(w->structured_ctx, w->structured);
    xmlResetLastError();
}

/* Parses xml into *doc (NULL when it is not well-formed XML); FC_ERR_NOMEM when
 * libxml2 ran out of memory, never a page cut short. */
static fc_status read_doc(const char *xml, size_t len, xmlDocPtr *doc)
{
    pthread_once(&xml_once, xml_init);
    *doc = NULL;
    if (!xml || len == 0 || len > (size_t)1 << 30)
        return FC_OK;
    xml_watch w;
    xml_watch_begin(&w);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt)
        *doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "s3.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int nomem = !ctxt || ctxt->errNo == XML_ERR_NO_MEMORY || w.nomem;
    xmlFreeParserCtxt(ctxt);
    xml_watch_end(&w);
    if (nomem) {
        xmlFreeDoc(*doc);
        *doc = NULL;
        return FC_ERR_NOMEM;
    }
    return FC_OK;
}

/* The text inside element n, a new string (xmlFree it); NULL only when out of
 * memory (an empty element gives ""). */
static xmlChar *text_of(xmlNodePtr n)
{
    xml_watch w;
    xml_watch_begin(&w);
    xmlChar *v = xmlNodeGetContent(n);
    xml_watch_end(&w);
    return v;
}

static int named(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

void fc_s3_list_page_free(fc_s3_list_page *p)
{
    fc_key_list_free(&p->keys);
    free(p->next_token);
    p->next_token = NULL;
    p->truncated = 0;
}

/* The fingerprint of a <Contents>: "size=<Size> etag=<ETag>" (the ETag changes with
 * the bytes), "" when the page has neither. FC_ERR_NOMEM when out of memory. */
static fc_status contents_fprint(xmlNodePtr contents, char *out, size_t cap)
{
    xmlNodePtr sn = child(contents, "Size"), en = child(contents, "ETag");
    xmlChar *size = sn ? text_of(sn) : NULL, *etag = en ? text_of(en) : NULL;
    fc_status rc = (sn && !size) || (en && !etag) ? FC_ERR_NOMEM : FC_OK;
    out[0] = '\0';
    if (!rc && (size || etag))
        snprintf(out, cap, "size=%s etag=%s", size ? (const char *)size : "",
                 etag ? (const char *)etag : "");
    xmlFree(size);
    xmlFree(etag);
    return rc;
}

/* Decodes an encoding-type=url key in place ('+' a space, %XX a byte); a NUL byte
 * empties it. -1 on a malformed %-escape (which fc_pct_decode would keep as it is). */
static int url_decode_key(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if (s[i] == '%') {
            if (i + 2 >= len || fc_hex_value(s[i + 1]) < 0 || fc_hex_value(s[i + 2]) < 0)
                return -1;
            i += 2;
        }
    if (fc_pct_decode(s, len, 1, s) != strlen(s))
        s[0] = '\0';
    return 0;
}

static fc_status no_memory(fc_error *err)
{
    return fc_error_set(err, FC_ERR_NOMEM, "S3 listing: out of memory reading the page");
}

fc_status fc_s3_parse_list(const char *xml, size_t len, fc_s3_list_page *out, fc_error *err)
{
    xmlDocPtr doc;
    fc_status rc = read_doc(xml, len, &doc);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    memset(out, 0, sizeof *out);
    if (rc) {
        no_memory(err);
        goto out;
    }
    if (!root || !named(root, "ListBucketResult")) {
        rc = fc_error_set(err, FC_ERR_FORMAT, "S3 listing: not a ListBucketResult document");
        goto out;
    }
    int url_encoded = 0;
    for (xmlNodePtr c = root->children; c && !rc; c = c->next) {
        if (named(c, "EncodingType")) {
            xmlChar *v = text_of(c);
            url_encoded = v && strcmp((const char *)v, "url") == 0;
            if (!v)
                rc = no_memory(err);
            xmlFree(v);
        } else if (named(c, "Contents")) {
            xmlNodePtr k = child(c, "Key");
            if (!k) {
                rc = fc_error_set(err, FC_ERR_FORMAT, "S3 listing: <Contents> without <Key>");
                break;
            }
            xmlChar *key = text_of(k);
            char fprint[256];
            if (!key || contents_fprint(c, fprint, sizeof fprint))
                rc = no_memory(err);
            else
                rc = fc_key_list_add_fp(&out->keys, (const char *)key, fprint[0] ? fprint : NULL,
                                        err);
            xmlFree(key);
        } else if (named(c, "IsTruncated")) {
            xmlChar *v = text_of(c);
            out->truncated = v && strcmp((const char *)v, "true") == 0;
            if (!v)
                rc = no_memory(err);
            xmlFree(v);
        } else if (named(c, "NextContinuationToken")) {
            xmlChar *v = text_of(c);
            free(out->next_token);
            out->next_token = v && *v ? strdup((const char *)v) : NULL;
            if (!v || (*v && !out->next_token))
                rc = no_memory(err);
            xmlFree(v);
        }
    }
    for (size_t i = 0; !rc && url_encoded && i < out->keys.n; i++)
        if (url_decode_key(out->keys.keys[i]) != 0)
            rc = fc_error_set(err, FC_ERR_FORMAT, "S3 listing: bad URL encoding in key '%.200s'",
                              out->keys.keys[i]);
    if (!rc && out->truncated && !out->next_token)
        rc = fc_error_set(err, FC_ERR_FORMAT,
                          "S3 listing: truncated page without a NextContinuationToken");
out:
    if (rc)
        fc_s3_list_page_free(out);
    xmlFreeDoc(doc);
    return rc;
}

/* The text of root's child `name` into out (cap bytes with the NUL). */
static void copy_child(xmlNodePtr root, const char *name, char *out, size_t cap)
{
    xmlNodePtr n = child(root, name);
    xmlChar *v = n ? text_of(n) : NULL; /* out of memory: "" */
    size_t len = v ? strlen((const char *)v) : 0;
    if (len >= cap)
        len = cap - 1;
    if (len)
        memcpy(out, v, len);
    out[len] = '\0';
    xmlFree(v);
}

void fc_s3_parse_error(const char *xml, size_t len, char *code, size_t code_cap, char *msg,
                       size_t msg_cap)
{
    code[0] = msg[0] = '\0';
    xmlDocPtr doc;
    read_doc(xml, len, &doc); /* out of memory: no document, "" as for another body */
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root && named(root, "Error")) {
        copy_child(root, "Code", code, code_cap);
        copy_child(root, "Message", msg, msg_cap);
    }
    xmlFreeDoc(doc);
}
