/* sqlite_schema.c - the schema of facecluster.db as a list of migration steps.
 *
 * Step i (1-based) takes a database from schema version i-1 to i; opening a
 * database applies the missing steps in one transaction and records each in
 * schema_version. Steps are never edited once released: a change is a new step.
 * docs/store.md maps these tables to the collections of API.md.
 */
#include "store/sqlite_schema.h"

const char *const fc_sqlite_migrations[] = {
    /* 1: the metadata store */
    "CREATE TABLE schema_version ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at TEXT NOT NULL);"

    /* user_profiles */
    "CREATE TABLE profiles ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id TEXT NOT NULL UNIQUE,"
    "  dim INTEGER NOT NULL CHECK (dim >= 0),"
    "  embedding BLOB,"
    "  embedding_model TEXT NOT NULL DEFAULT '',"
    "  confidence REAL NOT NULL DEFAULT 0,"
    "  quality_score REAL NOT NULL DEFAULT 0,"
    "  bbox_x INTEGER, bbox_y INTEGER, bbox_w INTEGER, bbox_h INTEGER,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"

    /* person_clustering_{norm}: one row per run, the collection is the norm column */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  clustering_id TEXT NOT NULL UNIQUE,"
    "  norm TEXT NOT NULL,"
    "  bucket TEXT NOT NULL,"
    "  sub TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),"
    "  owner TEXT,"
    "  error TEXT,"
    "  timestamp TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  total_images INTEGER NOT NULL DEFAULT 0,"
    "  total_faces INTEGER NOT NULL DEFAULT 0,"
    "  total_persons INTEGER NOT NULL DEFAULT 0,"
    "  unassigned_faces INTEGER NOT NULL DEFAULT 0,"
    "  image_overlap_stats TEXT,"
    "  processing_stats TEXT,"
    "  params TEXT);"
    "CREATE INDEX runs_by_norm ON runs (norm, timestamp);"
    "CREATE INDEX runs_by_status ON runs (status);"

    /* the images of a run whose faces are stored (resume skips them) */
    "CREATE TABLE run_images ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  image_path TEXT NOT NULL,"
    "  ok INTEGER NOT NULL,"
    "  n_faces INTEGER NOT NULL,"
    "  reason TEXT,"
    "  PRIMARY KEY (run, image_path)) WITHOUT ROWID;"

    /* person_clusters of a run's document */
    "CREATE TABLE persons ("
    "  id INTEGER PRIMARY KEY,"
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  ord INTEGER NOT NULL,"
    "  person_id TEXT NOT NULL,"
    "  cluster_id TEXT NOT NULL,"
    "  owner_face_id TEXT NOT NULL DEFAULT '',"
    "  dim INTEGER NOT NULL DEFAULT 0,"
    "  owner_embedding BLOB,"
    "  centroid BLOB,"
    "  size INTEGER NOT NULL,"
    "  avg_confidence REAL NOT NULL DEFAULT 0,"
    "  best_quality_score REAL NOT NULL DEFAULT 0,"
    "  UNIQUE (run, person_id));"

    /* person_faces_{norm}: one row per face, its embedding beside it; a face
       belongs to a stored image of its run and, once the run is done, to a person */
    "CREATE TABLE faces ("
    "  id INTEGER PRIMARY KEY,"
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  face_id TEXT NOT NULL UNIQUE,"
    "  image_path TEXT NOT NULL,"
    "  person_id TEXT,"
    "  member_ord INTEGER,"
    "  is_owner_face INTEGER NOT NULL DEFAULT 0,"
    "  bbox_x INTEGER NOT NULL, bbox_y INTEGER NOT NULL,"
    "  bbox_w INTEGER NOT NULL, bbox_h INTEGER NOT NULL,"
    "  landmarks BLOB,"
    "  confidence REAL NOT NULL,"
    "  quality_score REAL NOT NULL,"
    "  cluster_confidence REAL NOT NULL DEFAULT 0,"
    "  timestamp TEXT NOT NULL,"
    "  dim INTEGER NOT NULL DEFAULT 0,"
    "  embedding BLOB,"
    "  FOREIGN KEY (run, image_path) REFERENCES run_images (run, image_path),"
    "  FOREIGN KEY (run, person_id) REFERENCES persons (run, person_id));"
    "CREATE INDEX faces_by_image ON faces (run, image_path);"
    "CREATE INDEX faces_by_person ON faces (run, person_id, member_ord);"

    /* cluster_assignments: no foreign key, they may outlive their run */
    "CREATE TABLE assignments ("
    "  id INTEGER PRIMARY KEY,"
    "  clustering_id TEXT NOT NULL,"
    "  cluster_id TEXT NOT NULL,"
    "  bucket_name TEXT NOT NULL,"
    "  sub_bucket TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  similarity REAL NOT NULL,"
    "  strategy TEXT NOT NULL,"
    "  face_count INTEGER NOT NULL,"
    "  image_paths TEXT NOT NULL DEFAULT '[]',"
    "  face_ids TEXT NOT NULL DEFAULT '[]',"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  UNIQUE (clustering_id, cluster_id));"
    "CREATE INDEX assignments_by_user ON assignments (user_id);",

    /* 2: the local vector store (vec_local.c), the embedded stand-in for Qdrant */
    "CREATE TABLE vec_collections ("
    "  name TEXT PRIMARY KEY,"
    "  dim INTEGER NOT NULL CHECK (dim > 0),"
    "  distance TEXT NOT NULL DEFAULT 'cosine');"
    "CREATE TABLE vec_points ("
    "  id INTEGER PRIMARY KEY,"
    "  collection TEXT NOT NULL REFERENCES vec_collections (name) ON DELETE CASCADE,"
    "  face_id TEXT NOT NULL,"
    "  clustering_id TEXT NOT NULL DEFAULT '',"
    "  person_id TEXT NOT NULL DEFAULT '',"
    "  bucket_name TEXT NOT NULL DEFAULT '',"
    "  sub_bucket TEXT NOT NULL DEFAULT '',"
    "  image_path TEXT NOT NULL DEFAULT '',"
    "  is_owner_face INTEGER NOT NULL DEFAULT 0,"
    "  bbox_x INTEGER NOT NULL DEFAULT 0, bbox_y INTEGER NOT NULL DEFAULT 0,"
    "  bbox_w INTEGER NOT NULL DEFAULT 0, bbox_h INTEGER NOT NULL DEFAULT 0,"
    "  confidence REAL NOT NULL DEFAULT 0,"
    "  quality_score REAL NOT NULL DEFAULT 0,"
    "  cluster_confidence REAL NOT NULL DEFAULT 0,"
    "  vector BLOB NOT NULL,"
    "  UNIQUE (collection, face_id));"
    /* the payload indexes Qdrant has */
    "CREATE INDEX vec_points_by_run ON vec_points (collection, clustering_id);"
    "CREATE INDEX vec_points_by_person ON vec_points (collection, person_id);"
    "CREATE INDEX vec_points_by_bucket ON vec_points (collection, bucket_name);",

    /* 3: shared runs (docs/workers.md): several workers lease the images of one run.
       Times are milliseconds of CLOCK_REALTIME (Unix epoch), from the writer. */
    "ALTER TABLE runs ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN finisher TEXT;"
    "ALTER TABLE runs ADD COLUMN finish_expires INTEGER NOT NULL DEFAULT 0;"
    /* at most one open shared run per bucket: workers that start together join it */
    "CREATE UNIQUE INDEX runs_one_shared ON runs (norm) WHERE shared = 1 AND status = 'running';"
    /* the images of a shared run: free (worker NULL), leased until expires, or done
       (worker = the one that committed it) */
    "CREATE TABLE run_work ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  image_path TEXT NOT NULL,"
    "  worker TEXT,"
    "  expires INTEGER NOT NULL DEFAULT 0,"
    "  done INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run, image_path)) WITHOUT ROWID;"
    "CREATE INDEX run_work_todo ON run_work (run, done, image_path);",

    /* 4: the source's fingerprint of each image read (size + mtime, or size + ETag):
       an incremental run reads an image again when it changed; NULL (rows written
       before) counts as unchanged */
    "ALTER TABLE run_images ADD COLUMN fingerprint TEXT;",
};

const int fc_sqlite_n_migrations = sizeof fc_sqlite_migrations / sizeof fc_sqlite_migrations[0];
