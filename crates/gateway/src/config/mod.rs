//! Settings: the layers they come from and the [`Config`] they resolve to.
//!
//! Precedence is flags > `CLAWBOX_*` environment > `settings.json` in the data dir > defaults.
//! Flags and environment are read once (the command line lays its flags over
//! [`SettingsLayer::from_env`]); `settings.json` is re-read when it changes, so the app (or a user's editor) can switch mode or limits without a restart.

mod data_dir;
mod environment;
mod layer;
mod resolve;
mod settings_file;
mod watch;

pub use data_dir::{APP_IDENTIFIER, default_data_dir, prepare_data_dir};
pub use environment::ENV_VARS;
pub use layer::{
    AuthMode, Mode, OriginList, SettingsLayer, parse_number, parse_origin_list, parse_switch,
    parse_usd,
};
pub use resolve::parse_user_id;
pub use resolve::{Config, DEFAULT_LISTEN, Upstreams};
pub use settings_file::{
    SETTINGS_FILE, load as load_settings_file, set_setting, update_settings, use_auth_mode,
};
pub(crate) use watch::watch_settings;
