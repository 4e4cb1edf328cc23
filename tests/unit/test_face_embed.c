/* test_face_embed.c - embedders: prewhitening, FaceNet layouts on synthetic models
 * (NHWC and NCHW computing a known function), and with the default model: unit
 * norm, batch == one by one, determinism. */
#include "test.h"

#include "face/embed.h"
#include "face_util.h"

#include <math.h>
#include <stdlib.h>

TEST(face_embed_prewhiten)
{
    float x[1000], c[64];
    double sum = 0, sum2 = 0;
    for (int i = 0; i < 1000; i++)
        x[i] = (float)((i * 37) % 256);
    fc_face_prewhiten(x, 1000);
    for (int i = 0; i < 1000; i++) {
        sum += x[i];
        sum2 += (double)x[i] * x[i];
    }
    CHECK_NEAR(sum / 1000, 0, 1e-5);
    CHECK_NEAR(sqrt(sum2 / 1000), 1, 1e-5);
    /* a flat crop: std 0 is floored at 1/sqrt(n), giving zeros, not NaN */
    for (int i = 0; i < 64; i++)
        c[i] = 100;
    fc_face_prewhiten(c, 64);
    for (int i = 0; i < 64; i++)
        CHECK(c[i] == 0);
    /* a tiny spread below the floor is scaled by sqrt(n), not blown up */
    for (int i = 0; i < 64; i++)
        c[i] = i % 2 ? 0.01f : -0.01f;
    fc_face_prewhiten(c, 64);
    CHECK_NEAR(c[1], 0.01 * 8, 1e-6);
    float v[3] = {3, 0, 4}, z[2] = {0, 0};
    fc_face_l2_normalize(v, 3);
    CHECK_NEAR(v[0], 0.6, 1e-6);
    CHECK_NEAR(v[2], 0.8, 1e-6);
    fc_face_l2_normalize(z, 2);
    CHECK(z[0] == 0 && z[1] == 0);
    return FC_TEST_PASS;
}

/* The synthetic FaceNet's function: prewhiten RGB, mean over rows, times w, normalise. */
static void facenet_reference(const fc_image *crop, const float *w, float out[128])
{
    static float x[160 * 160 * 3];
    for (int y = 0; y < 160; y++)
        for (int i = 0; i < 160 * 3; i++)
            x[y * 480 + i] = crop->rgb[(size_t)y * crop->stride + i];
    fc_face_prewhiten(x, 160 * 160 * 3);
    float f[480] = {0};
    for (int y = 0; y < 160; y++)
        for (int i = 0; i < 480; i++)
            f[i] += x[y * 480 + i] / 160;
    for (int j = 0; j < 128; j++) {
        double s = 0;
        for (int i = 0; i < 480; i++)
            s += (double)f[i] * w[i * 128 + j];
        out[j] = (float)s;
    }
    fc_face_l2_normalize(out, 128);
}

TEST(face_embed_facenet_layouts)
{
    const char *dir;
    SKIP_WITHOUT_SYNTH(dir);
    char path[1024];
    size_t len = 0;
    float *w = (float *)fc_face_test_read(fc_face_test_path(path, sizeof path, dir, "facenet_w.f32"), &len);
    CHECK(w && len == 480 * 128 * sizeof(float));
    fc_image *crop[2] = {fc_face_test_image(160, 160), fc_face_test_image(160, 160)};
    CHECK(crop[0] && crop[1]);
    fc_face_test_fill_noise(crop[0], 11);
    fc_face_test_fill_noise(crop[1], 12);
    float want[2][128], got[2 * 128];
    facenet_reference(crop[0], w, want[0]);
    facenet_reference(crop[1], w, want[1]);
    const char *files[2] = {"facenet_nhwc.onnx", "facenet_nchw.onnx"};
    int result = FC_TEST_PASS;
    for (int f = 0; f < 2 && result == FC_TEST_PASS; f++) {
        fc_error err = {0};
        fc_embedder_opts o = {fc_face_test_path(path, sizeof path, dir, files[f]), FC_EMBEDDER_AUTO, 0, 1, 0, 0};
        fc_embedder *e = fc_embedder_new(&o, &err);
        fc_embedder_ctx *c = e ? fc_embedder_ctx_new(e, &err) : NULL;
        if (!c || fc_embedder_kind_of(e) != FC_EMBEDDER_FACENET160 || fc_embedder_size(e) != 160 ||
            fc_embedder_dim(e) != 128 ||
            fc_embedder_run(c, (const fc_image *const *)crop, 2, got, &err) != FC_OK)
            result = fc_test_fail(__FILE__, __LINE__, "%s: %s", files[f], err.msg);
        for (int i = 0; i < 2 && result == FC_TEST_PASS; i++)
            for (int j = 0; j < 128; j++)
                if (fabsf(got[i * 128 + j] - want[i][j]) > 1e-4f) {
                    result = fc_test_fail(__FILE__, __LINE__, "%s: crop %d value %d is %g, expected %g",
                                          files[f], i, j, got[i * 128 + j], want[i][j]);
                    break;
                }
        fc_embedder_ctx_free(c);
        fc_embedder_free(e);
    }
    free(w);
    fc_face_test_image_free(crop[0]);
    fc_face_test_image_free(crop[1]);
    return result;
}

static double dot(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

TEST(face_embed_default_batch_norm_determinism)
{
    char path[1024];
    SKIP_WITHOUT_DEFAULT_MODEL("fr_feature.onnx", path);
    enum { N = 7 };
    fc_error err = {0};
    fc_embedder_opts o = {path, FC_EMBEDDER_AUTO, 0, 1, 0, 0};
    fc_embedder *e = fc_embedder_new(&o, &err);
    CHECK_MSG(e, "%s", err.msg);
    fc_embedder_ctx *c = fc_embedder_ctx_new(e, &err);
    fc_image *crops[N];
    int d = fc_embedder_dim(e);
    float *batch = malloc(sizeof(float) * N * (size_t)d), *again = malloc(sizeof(float) * N * (size_t)d),
          *single = malloc(sizeof(float) * N * (size_t)d);
    for (int i = 0; i < N; i++) {
        crops[i] = fc_face_test_image(112, 112);
        fc_face_test_fill_noise(crops[i], 100 + (uint32_t)i);
    }
    int result = FC_TEST_PASS;
    if (!c || fc_embedder_kind_of(e) != FC_EMBEDDER_ARCFACE112 || d != 512 ||
        fc_embedder_run(c, (const fc_image *const *)crops, N, batch, &err) ||
        fc_embedder_run(c, (const fc_image *const *)crops, N, again, &err))
        result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    for (int i = 0; i < N && result == FC_TEST_PASS; i++)
        if (fc_embedder_run(c, (const fc_image *const *)&crops[i], 1, single + (size_t)i * d, &err))
            result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    for (int i = 0; i < N && result == FC_TEST_PASS; i++) {
        const float *b = batch + (size_t)i * d, *s = single + (size_t)i * d;
        double nb = dot(b, b, d), cs = dot(b, s, d), maxdiff = 0;
        for (int k = 0; k < d; k++)
            if (fabs(b[k] - s[k]) > maxdiff)
                maxdiff = fabs(b[k] - s[k]);
        if (fabs(nb - 1) > 1e-5 || cs < 0.99999 || maxdiff > 1e-4)
            result = fc_test_fail(__FILE__, __LINE__, "face %d: |e|^2 %.7f, cos(batch, single) %.7f, max diff %g",
                                  i, nb, cs, maxdiff);
        for (int k = 0; k < d && result == FC_TEST_PASS; k++)
            if (b[k] != again[(size_t)i * d + k])
                result = fc_test_fail(__FILE__, __LINE__, "face %d differs between two runs", i);
    }
    for (int i = 0; i < N; i++)
        fc_face_test_image_free(crops[i]);
    free(batch);
    free(again);
    free(single);
    fc_embedder_ctx_free(c);
    fc_embedder_free(e);
    return result;
}

/* Test-time flip: a crop and its mirror image get the same vector, and it is not the
 * plain one (the mirrored crop was really embedded and added). */
TEST(face_embed_flip_mirror_invariant)
{
    char path[1024];
    SKIP_WITHOUT_DEFAULT_MODEL("fr_feature.onnx", path);
    fc_error err = {0};
    fc_embedder_opts plain_o = {path, FC_EMBEDDER_AUTO, 0, 1, 0, 0}, flip_o = plain_o;
    flip_o.flip = 1;
    fc_embedder *plain = fc_embedder_new(&plain_o, &err), *flip = fc_embedder_new(&flip_o, &err);
    CHECK_MSG(plain && flip, "%s", err.msg);
    fc_embedder_ctx *pc = fc_embedder_ctx_new(plain, &err), *fcx = fc_embedder_ctx_new(flip, &err);
    fc_image *crop[2] = {fc_face_test_image(112, 112), fc_face_test_image(112, 112)};
    fc_face_test_fill_noise(crop[0], 7);
    for (int y = 0; y < 112; y++)
        for (int x = 0; x < 112; x++)
            for (int ch = 0; ch < 3; ch++)
                crop[1]->rgb[(size_t)y * crop[1]->stride + (size_t)x * 3 + ch] =
                    crop[0]->rgb[(size_t)y * crop[0]->stride + (size_t)(111 - x) * 3 + ch];
    enum { D = 512 };
    static float v_plain[2 * D], v_flip[2 * D];
    int result = FC_TEST_PASS;
    if (!pc || !fcx || fc_embedder_dim(flip) != D ||
        fc_embedder_run(pc, (const fc_image *const *)crop, 2, v_plain, &err) ||
        fc_embedder_run(fcx, (const fc_image *const *)crop, 2, v_flip, &err)) {
        result = fc_test_fail(__FILE__, __LINE__, "%s", err.msg);
    } else {
        double same = dot(v_flip, v_flip + D, D), norm = dot(v_flip, v_flip, D);
        double vs_plain = dot(v_flip, v_plain, D), plain_pair = dot(v_plain, v_plain + D, D);
        if (same < 0.99999 || fabs(norm - 1) > 1e-5 || vs_plain > 0.9999 || plain_pair > 0.9999)
            result = fc_test_fail(__FILE__, __LINE__,
                                  "cos(flip(a), flip(mirror a)) %.7f, |flip|^2 %.7f, cos(flip, plain) %.7f, "
                                  "cos(plain a, plain mirror a) %.7f", same, norm, vs_plain, plain_pair);
    }
    fc_face_test_image_free(crop[0]);
    fc_face_test_image_free(crop[1]);
    fc_embedder_ctx_free(pc);
    fc_embedder_ctx_free(fcx);
    fc_embedder_free(plain);
    fc_embedder_free(flip);
    return result;
}
