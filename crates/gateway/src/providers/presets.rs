//! The providers people ask for most, ready to add: their API base as their own docs give it to
//! OpenAI's SDKs, and the model names that are unmistakably theirs. Providers whose model names
//! look like anyone's (OpenRouter's `vendor/model`, a local server's) list no patterns: their
//! models route by the list the provider itself reports. Servers on this computer need no key.

use serde::Serialize;

use crate::providers::{ProviderKind, ProviderSetting};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preset {
    pub name: &'static str,
    /// What a person reads in the window.
    pub label: &'static str,
    pub kind: ProviderKind,
    pub base_url: &'static str,
    pub models: &'static [&'static str],
    /// Where the person gets a key (empty for servers on this machine, which need none).
    pub keys_at: &'static str,
    pub needs_key: bool,
}

pub const PRESETS: [Preset; 8] = [
    Preset {
        name: "openrouter",
        label: "OpenRouter",
        kind: ProviderKind::Openai,
        base_url: "https://openrouter.ai/api/v1",
        models: &[],
        keys_at: "https://openrouter.ai/settings/keys",
        needs_key: true,
    },
    Preset {
        name: "deepseek",
        label: "DeepSeek",
        kind: ProviderKind::Openai,
        base_url: "https://api.deepseek.com/v1",
        models: &["deepseek-*"],
        keys_at: "https://platform.deepseek.com/api_keys",
        needs_key: true,
    },
    Preset {
        name: "groq",
        label: "Groq",
        kind: ProviderKind::Openai,
        base_url: "https://api.groq.com/openai/v1",
        models: &[],
        keys_at: "https://console.groq.com/keys",
        needs_key: true,
    },
    Preset {
        name: "mistral",
        label: "Mistral",
        kind: ProviderKind::Openai,
        base_url: "https://api.mistral.ai/v1",
        models: &[
            "mistral-*",
            "magistral-*",
            "codestral-*",
            "devstral-*",
            "ministral-*",
            "pixtral-*",
            "open-mistral-*",
        ],
        keys_at: "https://console.mistral.ai/api-keys",
        needs_key: true,
    },
    Preset {
        name: "together",
        label: "Together AI",
        kind: ProviderKind::Openai,
        base_url: "https://api.together.xyz/v1",
        models: &[],
        keys_at: "https://api.together.ai/settings/api-keys",
        needs_key: true,
    },
    Preset {
        name: "gemini",
        label: "Google Gemini",
        kind: ProviderKind::Openai,
        base_url: "https://generativelanguage.googleapis.com/v1beta/openai",
        models: &["gemini-*"],
        keys_at: "https://aistudio.google.com/apikey",
        needs_key: true,
    },
    Preset {
        name: "lmstudio",
        label: "LM Studio (on this computer)",
        kind: ProviderKind::Openai,
        base_url: "http://localhost:1234/v1",
        models: &[],
        keys_at: "",
        needs_key: false,
    },
    Preset {
        name: "vllm",
        label: "vLLM (on this computer)",
        kind: ProviderKind::Openai,
        base_url: "http://localhost:8000/v1",
        models: &[],
        keys_at: "",
        needs_key: false,
    },
];

impl Preset {
    /// The provider this preset adds.
    pub fn setting(&self) -> ProviderSetting {
        ProviderSetting {
            name: self.name.into(),
            kind: self.kind,
            base_url: self.base_url.into(),
            models: self.models.iter().map(|m| (*m).to_owned()).collect(),
            needs_key: self.needs_key,
        }
    }
}

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::resolve_providers;

    #[test]
    fn every_preset_is_a_valid_provider() {
        let settings: Vec<ProviderSetting> = PRESETS.iter().map(Preset::setting).collect();
        let providers = resolve_providers(&settings).unwrap();
        let keyless: Vec<&str> = providers
            .iter()
            .filter(|p| p.tag.keyless)
            .map(|p| p.name())
            .collect();
        assert_eq!(keyless, ["lmstudio", "vllm"]);
        assert!(
            providers
                .iter()
                .all(|p| p.tag.keyless == preset(p.name()).unwrap().keys_at.is_empty())
        );
    }
}
