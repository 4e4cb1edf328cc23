/* face.h - what the face module finds: boxes, landmarks, scores and the kinds of
 * detector and embedder it can run. Shared by every stage of src/face. */
#ifndef FC_FACE_FACE_H
#define FC_FACE_FACE_H

#include <stdint.h>

/* Detector heads. AUTO picks one from the model's input/output shapes. */
typedef enum {
    FC_DETECTOR_AUTO = 0,
    FC_DETECTOR_ULTRAFACE, /* UltraFace RFB/slim with box decoding in the graph */
    FC_DETECTOR_YOLO,      /* Ultralytics YOLOv8/YOLO11-face export, 1x5xN or 1x20xN */
    FC_DETECTOR_YUNET,     /* OpenCV Zoo YuNet, cls/obj/bbox/kps per stride 8/16/32 */
    FC_DETECTOR_COUNT
} fc_detector_kind;

/* Embedders. AUTO picks one from the model's input size (112 or 160). */
typedef enum {
    FC_EMBEDDER_AUTO = 0,
    FC_EMBEDDER_ARCFACE112, /* 112x112 ArcFace-template crops, (x-127)/128 */
    FC_EMBEDDER_FACENET160, /* 160x160 crops, per-image prewhitening */
    FC_EMBEDDER_COUNT
} fc_embedder_kind;

/* "ultraface", "yolo", "yunet" / "arcface112", "facenet160"; "auto" for AUTO. */
const char *fc_detector_kind_name(fc_detector_kind k);
const char *fc_embedder_kind_name(fc_embedder_kind k);
/* The kind named by s (case-insensitive; NULL or "" or "auto" is AUTO); -1 if unknown. */
int fc_detector_kind_parse(const char *s);
int fc_embedder_kind_parse(const char *s);

typedef struct {
    float x, y;
} fc_point;

/* An axis-aligned box, corners (x1, y1) top-left and (x2, y2) bottom-right. */
typedef struct {
    float x1, y1, x2, y2;
} fc_rect;

/* One detection: box, score and, when known, 5 landmarks in the order left eye,
 * right eye (as seen in the image), nose tip, left and right mouth corner. */
typedef struct {
    fc_rect box;
    float score;
    int has_landmarks;
    fc_point landmarks[5];
} fc_detection;

/* One face as the pipeline reports it. Coordinates are pixels of the original photo
 * in its displayed orientation (EXIF applied). */
typedef struct {
    fc_rect box;
    float score;             /* detector confidence, 0..1 */
    fc_point landmarks[5];   /* as in fc_detection, always set */
    int landmarks_from;      /* 0: detector, 1: landmark model */
    float blur;              /* Laplacian variance of the grey aligned crop (>= 0) */
    float pose;              /* frontalness 0..1, 1 = frontal */
    float size;              /* min(box w, h) in original pixels */
    float quality_score;     /* 0..1, see quality.h */
    float *embedding;        /* dim floats, L2-normalised; NULL when not computed */
} fc_face;

#endif
