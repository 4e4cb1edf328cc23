/* debug.c - GET /debug/list-avatars: the image keys under usersAvatars/ of the
 * configured source. */
#include "api/app.h"
#include "api/handlers.h"
#include "core/json.h"

void fc_api_list_avatars(const fc_api_request *req, fc_api_response *res)
{
    fc_app *app = fc_api_req_app(req);
    fc_error err = {0};
    fc_key_list keys = {0};
    fc_status rc = fc_source_list(app->source, "usersAvatars/", &keys, &err);
    if (rc && rc != FC_ERR_ARG) { /* FC_ERR_ARG: no usersAvatars/ folder, no avatars */
        fc_key_list_free(&keys);
        return fc_api_res_detail(res, 500, "Error listing avatars: %s", err.msg);
    }
    json_t *files = json_array();
    for (size_t i = 0; i < keys.n; i++)
        json_array_append_new(files, fc_json_text(keys.keys[i]));
    fc_key_list_free(&keys);
    fc_api_res_json(res, 200, json_pack("{s:o}", "files", files));
}
