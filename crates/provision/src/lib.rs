//! Provisioning: what an operator hands a room of trainees so that ClawBox's setup wizard opens
//! already filled in.
//!
//! - link.rs: [`Provision`], a `clawbox://onboard?…` setup link or provisioning file, checked
//!   strictly (a link is input from anywhere).
//! - room.rs: a room's CSV read into trainees, and the files written for them.
//! - qr.rs: QR codes for the terminal and as PNGs.
//! - cards.rs: `cards.html`, a printable card per trainee.

mod cards;
mod link;
mod qr;
mod room;

pub use link::{Provision, ProvisionError, SCHEME};
pub use qr::{png, qr, terminal_qr};
pub use room::{Trainee, file_names, read_csv, write_files};
