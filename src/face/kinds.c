/* kinds.c - names of the detector and embedder kinds, for configuration and output. */
#include "face/face.h"

#include <assert.h>
#include <strings.h>

static const char *const detector_names[] = {
    [FC_DETECTOR_AUTO] = "auto",
    [FC_DETECTOR_ULTRAFACE] = "ultraface",
    [FC_DETECTOR_YOLO] = "yolo",
    [FC_DETECTOR_YUNET] = "yunet",
};
static_assert(sizeof detector_names / sizeof detector_names[0] == FC_DETECTOR_COUNT,
              "one name per detector kind");

static const char *const embedder_names[] = {
    [FC_EMBEDDER_AUTO] = "auto",
    [FC_EMBEDDER_ARCFACE112] = "arcface112",
    [FC_EMBEDDER_FACENET160] = "facenet160",
};
static_assert(sizeof embedder_names / sizeof embedder_names[0] == FC_EMBEDDER_COUNT,
              "one name per embedder kind");

const char *fc_detector_kind_name(fc_detector_kind k)
{
    return (unsigned)k < FC_DETECTOR_COUNT ? detector_names[k] : "unknown";
}

const char *fc_embedder_kind_name(fc_embedder_kind k)
{
    return (unsigned)k < FC_EMBEDDER_COUNT ? embedder_names[k] : "unknown";
}

static int parse(const char *s, const char *const *names, int n)
{
    if (!s || !*s)
        return 0;
    for (int i = 0; i < n; i++)
        if (!strcasecmp(s, names[i]))
            return i;
    return -1;
}

int fc_detector_kind_parse(const char *s)
{
    return parse(s, detector_names, FC_DETECTOR_COUNT);
}

int fc_embedder_kind_parse(const char *s)
{
    return parse(s, embedder_names, FC_EMBEDDER_COUNT);
}
