/* s3_xml.c - reading S3's XML with libxml2: ListObjectsV2 pages (ListBucketResult)
 * and <Error> documents. Names are matched without their namespace; the parser never
 * touches the network and never expands entities. */
#include "source/s3.h"

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

/* libxml2 reports some errors (bytes that do not fit the declared encoding, failed
 * allocations) to its generic handler, which XML_PARSE_NOERROR does not silence and
 * which prints on stderr: while libxml2 works the handler (per thread) is a silent
 * one, then put back. libxml2 also keeps a copy of the last error per thread
 * (xmlGetLastError), which nothing here reads: it is freed when the handler is put
 * back rather than left on every thread that met a bad page. */
typedef struct {
    xmlGenericErrorFunc fn;
    void *ctx;
} xml_handler;

static xml_handler xml_hush(void)
{
    xml_handler h = {xmlGenericError, xmlGenericErrorContext};
    xmlSetGenericErrorFunc(NULL, xml_quiet);
    return h;
}

static void xml_unhush(xml_handler h)
{
    xmlSetGenericErrorFunc(h.ctx, h.fn);
    xmlResetLastError();
}

/* Parses xml into *doc (NULL when it is not well-formed XML); FC_ERR_NOMEM when
 * libxml2 ran out of memory. That must be asked of the parser context: libxml2 2.9
 * then stops where it was but may still call the document well-formed (its tree
 * builder's xmlSAX2ErrMemory does not clear wellFormed), so a page cut short would
 * pass for a whole one. */
static fc_status read_doc(const char *xml, size_t len, xmlDocPtr *doc)
{
    pthread_once(&xml_once, xml_init);
    *doc = NULL;
    if (!xml || len == 0 || len > (size_t)1 << 30)
        return FC_OK;
    xml_handler h = xml_hush();
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt)
        *doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "s3.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int nomem = !ctxt || ctxt->errNo == XML_ERR_NO_MEMORY;
    xmlFreeParserCtxt(ctxt);
    xml_unhush(h);
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
    xml_handler h = xml_hush();
    xmlChar *v = xmlNodeGetContent(n);
    xml_unhush(h);
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
    for (xmlNodePtr c = root->children; c && !rc; c = c->next) {
        if (named(c, "Contents")) {
            xmlNodePtr k = child(c, "Key");
            if (!k) {
                rc = fc_error_set(err, FC_ERR_FORMAT, "S3 listing: <Contents> without <Key>");
                break;
            }
            xmlChar *key = text_of(k);
            rc = key ? fc_key_list_add(&out->keys, (const char *)key, err) : no_memory(err);
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
