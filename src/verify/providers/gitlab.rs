//! GitLab: `X-Gitlab-Token`: the webhook's secret token sent as is (no signature, no
//! timestamp), so hookpit compares it with the configured one.
//! Docs: <https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// GitLab.
pub const PROVIDER: Provider = Provider {
    name: "gitlab",
    title: "GitLab",
    headers: &["X-Gitlab-Token", "X-Gitlab-Event"],
    algorithm: Scheme::Token,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token",
    secret: "the webhook's secret token",
    signs: "the raw body",
    encoding: Encoding::Raw,
    detect: |req| has(req, "X-Gitlab-Token"),
    check: Check::BodyHeader {
        header: "X-Gitlab-Token",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"object_kind":"push","event_name":"push","before":"95790bf891e76fee5e1747ab589903a6a1f80f22","after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","ref":"refs/heads/main","user_username":"jsmith","project":{"id":15,"name":"Diaspora","path_with_namespace":"mike/diaspora"},"total_commits_count":1}"#,
        headers: &[
            ("X-Gitlab-Event", "Push Hook"),
            ("X-Gitlab-Instance", "https://gitlab.example.com"),
            (
                "X-Gitlab-Event-UUID",
                "13792a34-cac6-4fda-95a8-c58e00a3954e",
            ),
        ],
    },
};
