//! Shared test machinery: the hermetic command builder and the throwaway
//! servers (PostgreSQL, Redis, HTTP, TLS) that tests talk to over real connections.

#![allow(dead_code)]

pub(crate) mod cgroup;
pub(crate) mod command;
pub(crate) mod faults;
pub(crate) mod http;
pub(crate) mod postgres;
pub(crate) mod receiver;
pub(crate) mod redis;
pub(crate) mod s3;
pub(crate) mod site;
pub(crate) mod smtp;
pub(crate) mod tls;

pub(crate) use command::maint;
