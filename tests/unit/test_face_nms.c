/* test_face_nms.c - box IoU and greedy non-maximum suppression. */
#include "test.h"

#include "face/nms.h"

static fc_detection det(float x1, float y1, float x2, float y2, float score)
{
    fc_detection d = {{x1, y1, x2, y2}, score, 0, {{0, 0}}};
    return d;
}

TEST(face_iou)
{
    fc_rect a = {0, 0, 10, 10}, b = {5, 0, 15, 10}, c = {20, 20, 30, 30}, e = {3, 3, 3, 9};
    CHECK_NEAR(fc_rect_iou(&a, &a), 1.0, 1e-6);
    CHECK_NEAR(fc_rect_iou(&a, &b), 50.0 / 150.0, 1e-6);
    CHECK_NEAR(fc_rect_iou(&b, &a), 50.0 / 150.0, 1e-6);
    CHECK(fc_rect_iou(&a, &c) == 0);
    CHECK(fc_rect_iou(&a, &e) == 0); /* empty box */
    return FC_TEST_PASS;
}

TEST(face_nms_keeps_best_of_overlaps)
{
    fc_detection d[6] = {
        det(0, 0, 10, 10, 0.6f),    /* overlaps the 0.9 one: IoU 0.82 */
        det(50, 50, 60, 60, 0.7f),  /* alone */
        det(0, 0, 10, 11, 0.9f),    /* best of its cluster */
        det(5, 0, 15, 10, 0.8f),    /* IoU 1/3 with the 0.9 one: kept at 0.3? no (> 0.3) */
        det(100, 0, 110, 10, 0.5f), /* alone */
        det(51, 50, 61, 60, 0.65f), /* overlaps the 0.7 one */
    };
    int n = fc_face_nms(d, 6, 0.3f);
    CHECK(n == 3);
    CHECK(d[0].score == 0.9f && d[1].score == 0.7f && d[2].score == 0.5f);

    fc_detection e[3] = {det(0, 0, 10, 10, 0.9f), det(5, 0, 15, 10, 0.8f), det(40, 0, 50, 10, 0.1f)};
    CHECK(fc_face_nms(e, 3, 0.45f) == 3); /* IoU 1/3 <= 0.45: all kept, sorted */
    CHECK(e[0].score == 0.9f && e[1].score == 0.8f && e[2].score == 0.1f);
    CHECK(fc_face_nms(e, 0, 0.3f) == 0);
    return FC_TEST_PASS;
}

TEST(face_nms_deterministic_ties)
{
    /* equal scores: the order must not depend on the input order */
    fc_detection a[3] = {det(30, 0, 40, 10, 0.5f), det(0, 0, 10, 10, 0.5f), det(60, 0, 70, 10, 0.5f)};
    fc_detection b[3] = {a[2], a[0], a[1]};
    CHECK(fc_face_nms(a, 3, 0.3f) == 3 && fc_face_nms(b, 3, 0.3f) == 3);
    for (int i = 0; i < 3; i++)
        CHECK(a[i].box.x1 == b[i].box.x1);
    CHECK(a[0].box.x1 == 0 && a[1].box.x1 == 30 && a[2].box.x1 == 60);
    return FC_TEST_PASS;
}

TEST(face_overlap_small)
{
    fc_rect big = {0, 0, 100, 100}, inside = {10, 10, 40, 40}, half = {80, 0, 120, 20},
            apart = {200, 200, 210, 210}, empty = {5, 5, 5, 50};
    CHECK_NEAR(fc_rect_overlap_small(&big, &inside), 1.0, 1e-6); /* inside: all of it */
    CHECK_NEAR(fc_rect_overlap_small(&inside, &big), 1.0, 1e-6);
    CHECK_NEAR(fc_rect_overlap_small(&big, &half), 0.5, 1e-6);   /* half of the small box */
    CHECK(fc_rect_overlap_small(&big, &apart) == 0);
    CHECK(fc_rect_overlap_small(&big, &empty) == 0);
    return FC_TEST_PASS;
}
