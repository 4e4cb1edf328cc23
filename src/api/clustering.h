/* clustering.h - helpers shared by the clustering, person and assignment routes. */
#ifndef FC_API_CLUSTERING_H
#define FC_API_CLUSTERING_H

#include "api/http.h"
#include "core/ids.h"

#include <jansson.h>
#include <stddef.h>

/* A JSON object from stored JSON text (NULL or unreadable: an empty object). */
json_t *fc_api_json_text(const char *text);

/* The collection a request names: its collection_name parameter when given
 * (person_clustering_{norm} or person_faces_{norm}), else the norm of its
 * bucket_name/sub_bucket; norm and "person_clustering_{norm}" into coll. -1 when
 * collection_name is not such a name. */
int fc_api_coll_norm(const fc_api_request *req, char norm[FC_NORM_MAX], char *coll,
                     size_t coll_size);

#endif
