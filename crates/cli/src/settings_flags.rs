//! The gateway's settings as flags (`serve`, `connect`, `doctor`, `status`). Each flag also
//! reads its `CLAWBOX_*` variable (clap gives flags precedence), and each value goes through the
//! request path's own parser, so a flag, a variable and a `settings.json` key mean the same. The
//! request path itself knows nothing of clap: this is where flags become a [`SettingsLayer`].

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clawbox_gateway::config::{
    AuthMode, Mode, OriginList, SettingsLayer, parse_number, parse_origin_list, parse_switch,
    parse_usd,
};

#[derive(Debug, Default, Clone, clap::Args)]
pub struct SettingsFlags {
    /// `local`: call providers directly; `hosted`: relay to the hosted gateway [default: local]
    #[arg(long, env = "CLAWBOX_MODE",
          value_parser = PossibleValuesParser::new(Mode::NAMES).try_map(|s| s.parse::<Mode>()))]
    pub mode: Option<Mode>,

    /// Address to listen on, loopback only [default: 127.0.0.1:18789]
    #[arg(long, env = "CLAWBOX_LISTEN", value_name = "IP:PORT")]
    pub listen: Option<String>,

    /// The hosted gateway's origin, used in hosted mode (e.g. https://gateway.example.com)
    #[arg(long, env = "CLAWBOX_HOSTED_URL", value_name = "URL")]
    pub hosted_url: Option<String>,

    /// OpenAI-compatible upstream origin [default: https://api.openai.com]
    #[arg(long, env = "CLAWBOX_OPENAI_URL", value_name = "URL")]
    pub openai_url: Option<String>,

    /// Anthropic upstream origin [default: https://api.anthropic.com]
    #[arg(long, env = "CLAWBOX_ANTHROPIC_URL", value_name = "URL")]
    pub anthropic_url: Option<String>,

    /// Ollama-compatible local model server [default: http://127.0.0.1:11434]
    #[arg(long, env = "CLAWBOX_OLLAMA_URL", value_name = "URL")]
    pub ollama_url: Option<String>,

    /// User id for requests without an X-User-ID header [default: anonymous]
    #[arg(long, env = "CLAWBOX_USER_ID", value_name = "ID")]
    pub user_id: Option<String>,

    /// Requests admitted per user in any rolling 60 seconds [default: 50]
    #[arg(long, env = "CLAWBOX_RATE_LIMIT", value_name = "N", value_parser = parse_number::<u32>)]
    pub rate_limit: Option<u32>,

    /// Requests per user per calendar month (UTC); unset means no cap
    #[arg(long, env = "CLAWBOX_MONTHLY_CAP", value_name = "N", value_parser = parse_number::<u64>)]
    pub monthly_cap: Option<u64>,

    /// `openai`: the caller's or the saved API key; `codex`: the signed-in ChatGPT account
    /// [default: openai]
    #[arg(long, env = "CLAWBOX_AUTH_MODE",
          value_parser = PossibleValuesParser::new(AuthMode::NAMES).try_map(|s| s.parse::<AuthMode>()))]
    pub auth_mode: Option<AuthMode>,

    /// Browser origins allowed to call the gateway, exact and comma-separated [default: none]
    #[arg(long, env = "CLAWBOX_ALLOWED_ORIGINS", value_name = "ORIGINS", value_parser = parse_origin_list)]
    pub allowed_origins: Option<OriginList>,

    /// `1` to fail over between hosted and local mode [default: 0]
    #[arg(long, env = "CLAWBOX_FAILOVER", value_name = "0|1", value_parser = parse_switch)]
    pub failover: Option<bool>,

    /// Seconds an upstream may stay silent (before its headers, or between two stream chunks)
    /// before the request fails with 504 [default: 300]
    #[arg(long, env = "CLAWBOX_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = parse_number::<u64>)]
    pub idle_timeout: Option<u64>,

    /// Days the request log keeps its rows; older ones are deleted hourly (0 keeps everything)
    /// [default: 90]
    #[arg(long, env = "CLAWBOX_RETENTION_DAYS", value_name = "DAYS", value_parser = parse_number::<u32>)]
    pub retention_days: Option<u32>,

    /// `1` to accept a non-loopback listen address. Every /v1 request must then carry the local
    /// key, and the Host must be one of allowed_hosts [default: 0]
    #[arg(long, env = "CLAWBOX_ALLOW_REMOTE", value_name = "0|1", value_parser = parse_switch)]
    pub allow_remote: Option<bool>,

    /// Host names remote clients use to reach this machine (with allow_remote), comma-separated
    #[arg(long, env = "CLAWBOX_ALLOWED_HOSTS", value_name = "HOSTS", value_parser = parse_origin_list)]
    pub allowed_hosts: Option<OriginList>,

    /// US dollars each user may spend through API keys per calendar month (UTC); requests past
    /// it get 402. ChatGPT-plan and local-model requests do not count. Unset means no budget
    #[arg(long, env = "CLAWBOX_MONTHLY_BUDGET_USD", value_name = "USD", value_parser = parse_usd)]
    pub monthly_budget_usd: Option<f64>,

    /// The largest `multipart/form-data` upload (audio to transcribe, a file, an image to edit)
    /// passed through, in MB; uploads stream to the provider and are never held whole
    /// [default: 512]
    #[arg(long, env = "CLAWBOX_MULTIPART_LIMIT_MB", value_name = "MB", value_parser = parse_number::<u64>)]
    pub multipart_limit_mb: Option<u64>,

    /// Where models no route claims go: none (a "no route" answer), openai (OpenAI's API with
    /// the saved OpenAI key, never the ChatGPT sign-in) or the name of a provider you added
    /// [default: none]
    #[arg(long, env = "CLAWBOX_DEFAULT_UPSTREAM", value_name = "UPSTREAM")]
    pub default_upstream: Option<String>,

    /// Keep Responses API conversations (`previous_response_id`, `GET /v1/responses/{id}`) for
    /// the ChatGPT sign-in, local models and named providers, which keep none: encrypted, in
    /// conversations.db [default: 1]
    #[arg(long, env = "CLAWBOX_KEEP_CONVERSATIONS", value_name = "0|1", value_parser = parse_switch)]
    pub keep_conversations: Option<bool>,

    /// Days kept conversations are kept; 0 keeps them until forgotten [default: 30]
    #[arg(long, env = "CLAWBOX_CONVERSATION_RETENTION_DAYS", value_name = "DAYS",
          value_parser = parse_number::<u32>)]
    pub conversation_retention_days: Option<u32>,
}

impl SettingsFlags {
    /// The layer these flags (and the variables clap read for them) make.
    pub fn layer(&self) -> SettingsLayer {
        let f = self.clone();
        SettingsLayer {
            mode: f.mode,
            listen: f.listen,
            hosted_url: f.hosted_url,
            openai_url: f.openai_url,
            anthropic_url: f.anthropic_url,
            ollama_url: f.ollama_url,
            user_id: f.user_id,
            rate_limit: f.rate_limit,
            monthly_cap: f.monthly_cap,
            auth_mode: f.auth_mode,
            allowed_origins: f.allowed_origins,
            failover: f.failover,
            idle_timeout: f.idle_timeout,
            retention_days: f.retention_days,
            allow_remote: f.allow_remote,
            allowed_hosts: f.allowed_hosts,
            routes: None,
            monthly_budget_usd: f.monthly_budget_usd,
            multipart_limit_mb: f.multipart_limit_mb,
            prices: None,
            providers: None,
            default_upstream: f.default_upstream,
            keep_conversations: f.keep_conversations,
            conversation_retention_days: f.conversation_retention_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        settings: SettingsFlags,
    }

    /// A setting added to the request path without a flag here would be settable only from the
    /// environment the app reads, never from `serve`.
    #[test]
    fn every_variable_the_request_path_reads_has_a_flag() {
        let command = Flags::command();
        let flags: Vec<String> = command
            .get_arguments()
            .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
            .collect();
        for var in clawbox_gateway::config::ENV_VARS {
            assert!(flags.iter().any(|f| f == var), "no flag reads {var}");
        }
        assert_eq!(flags.len(), clawbox_gateway::config::ENV_VARS.len());
    }

    #[test]
    fn a_flag_and_its_variable_give_the_same_layer_as_the_environment_alone() {
        let from_flags = <Flags as clap::Parser>::try_parse_from([
            "x",
            "--mode",
            "hosted",
            "--rate-limit",
            "9",
            "--failover",
            "on",
            "--allowed-hosts",
            "a.example,b.example",
        ])
        .unwrap()
        .settings
        .layer();
        let from_env = SettingsLayer::from_vars(|name| {
            let value = match name {
                "CLAWBOX_MODE" => "hosted",
                "CLAWBOX_RATE_LIMIT" => "9",
                "CLAWBOX_FAILOVER" => "on",
                "CLAWBOX_ALLOWED_HOSTS" => "a.example,b.example",
                _ => return None,
            };
            Some(value.into())
        })
        .unwrap();
        assert_eq!(from_flags, from_env);
    }
}
