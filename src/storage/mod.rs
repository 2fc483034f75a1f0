//! Writing to disk safely and the backup format: files that appear whole or
//! not at all, the archive and its manifest, parallel gzip, the lock that
//! keeps runs apart, retention, a destination's catalogue, and the database
//! dump that goes into a backup.

pub mod archive;
pub mod atomic;
pub mod beneath;
pub mod bundle;
pub mod catalog;
pub mod chain;
pub mod crypt;
pub mod database;
pub mod destination;
pub mod history;
pub mod lock;
pub mod manifest;
pub mod pack;
pub mod pgzip;
pub mod rdb;
pub mod remote;
pub mod retention;
pub mod unpack;
pub mod ustar;
