//! Read-only probes of the machine and its services. Each returns typed data
//! or a typed error; judging the data against thresholds is `judge`'s job.

pub mod cgroup;
pub mod clock;
pub mod disk;
pub mod http;
pub mod isolated;
pub mod kernel;
pub mod mounts;
pub mod pgcatalog;
pub mod pgname;
pub mod pgstats;
pub mod plugin;
pub mod postgres;
pub mod process;
pub mod reboot;
pub mod redis;
pub mod revocation;
pub mod system;
pub mod systemd;
pub mod tcp;
pub mod tls;
pub mod x509;
