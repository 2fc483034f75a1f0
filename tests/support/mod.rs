//! Shared test machinery: the hermetic command builder and the throwaway
//! servers (PostgreSQL, Redis, HTTP, TLS) that tests talk to over real connections.

#![allow(dead_code)]

pub mod cgroup;
pub mod command;
pub mod faults;
pub mod http;
pub mod postgres;
pub mod redis;
pub mod s3;
pub mod tls;

pub use command::maint;
