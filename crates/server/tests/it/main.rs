//! Integration tests of the sync server. Every test that touches storage runs
//! on SQLite and on PostgreSQL (`ECABINET_TEST_DATABASE_URL`, required).

mod common;

mod accounts;
mod annotations;
mod backup;
mod blobs;
mod chair;
mod cli;
mod comments;
mod enrol;
mod events;
mod feed;
mod key_rotation;
mod lost_ops;
mod matrix;
mod observability;
mod openapi;
mod ops;
mod presentation;
mod reading;
mod scale;
mod schema;
mod secretary;
mod sessions;
mod signed_ballots;
mod storage;
mod text_layers;
mod throttle;
mod transport;
mod trusted_roots;
mod uploads;
