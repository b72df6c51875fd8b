//! Whose words the doctor's findings use. The default battery delivers as Svix does, so its
//! causes and fixes name Svix's headers (`svix-id`, `svix-signature`) and library; a run with
//! `--provider` delivers as that provider does, so they name its sender, its signature header,
//! its secret and its docs instead, and never Svix's.

use super::advice::Code;
use crate::verify::{Provider, Scheme};

/// The words of one run: Svix's, or one provider's.
#[derive(Debug, Clone, Copy)]
pub struct Speech(Option<&'static Provider>);

impl Speech {
    /// The words for a run as `provider` (none: as Svix).
    pub fn new(provider: Option<&'static Provider>) -> Self {
        Speech(provider)
    }

    /// Why a late answer matters, after "No answer … to: …".
    pub fn wait(self) -> String {
        match self.0 {
            None => "Svix waits at most 15 s, then counts the delivery as failed and sends it \
                     again later."
                .into(),
            Some(p) => format!(
                "{} counts an answer that comes too late as a failed delivery.",
                p.title
            ),
        }
    }

    /// Why a 3xx matters.
    pub fn redirect(self) -> &'static str {
        match self.0 {
            None => "Svix does not follow redirects: any 3xx is a failed delivery.",
            Some(_) => {
                "A webhook is posted to the URL it was registered with: a 3xx is a failed delivery."
            }
        }
    }

    /// A likely wrong key, at the end of "Either the app uses another secret, or …".
    pub fn wrong_key(self) -> String {
        match self.0 {
            None => "or decodes the secret without stripping whsec_".into(),
            Some(p) => format!(
                "or verifies with another kind of key: {} signs with {}",
                p.title, p.secret
            ),
        }
    }

    /// What was refused when a repeat was: the cause of [`Code::DuplicateRejected`].
    pub fn repeat(self, answers: &str) -> String {
        match self.0 {
            None => format!(
                "It accepted a message, then answered {answers} when the same svix-id arrived \
                 again. Svix sends a message again, with the same svix-id, when it did not get \
                 your 2xx in time; refusing the repeat makes it retry once more."
            ),
            Some(p) => format!(
                "It accepted a webhook, then answered {answers} when the same webhook arrived \
                 again. {} may send a webhook again when it did not get your 2xx in time; \
                 refusing the repeat makes it retry once more.",
                p.title
            ),
        }
    }

    /// Why a 5xx to a valid delivery matters.
    pub fn server_error(self) -> String {
        match self.0 {
            None => "Svix retries 5xx and eventually disables the endpoint.".into(),
            Some(p) => format!("{} counts a 5xx as a failed delivery.", p.title),
        }
    }

    /// What a forger can send.
    pub fn forgery(self) -> String {
        match self.0 {
            None => "a forged run_complete".into(),
            Some(p) => format!("a forged {} webhook", p.title),
        }
    }

    /// The header whose absence a forger relies on.
    pub fn signature_header(self) -> &'static str {
        self.0.map_or("svix-signature", |p| p.headers[0])
    }

    /// Why slow answers matter.
    pub fn slow(self) -> String {
        match self.0 {
            None => {
                "Svix gives up after 15 s, and slow answers pile up when many runs end at once."
                    .into()
            }
            Some(p) => format!(
                "{} gives up on answers that take too long, and slow answers pile up when many \
                 webhooks arrive at once.",
                p.title
            ),
        }
    }

    /// The closing line of a run with nothing to fix.
    pub fn all_good(self) -> String {
        match self.0 {
            None => "The endpoint handles deliveries the way Svix needs.".into(),
            Some(p) => format!(
                "The endpoint handles deliveries the way {} sends them.",
                p.title
            ),
        }
    }

    /// After "answered 302, ": why a redirect fails the delivery.
    pub fn redirect_note(self) -> &'static str {
        match self.0 {
            None => "a redirect, which Svix does not follow",
            Some(_) => "a redirect, which a webhook sender does not follow",
        }
    }

    /// After "took 16 s": why that is too late.
    pub fn too_late(self) -> &'static str {
        match self.0 {
            None => "and Svix gives up after 15 s",
            Some(_) => "longer than hookpit waits for any sender (15 s)",
        }
    }

    /// What to change for `code`, in these words.
    pub fn fix(self, code: Code) -> String {
        let Some(p) = self.0 else {
            return code.fix().into();
        };
        let (title, header) = (p.title, p.headers[0]);
        let how = match p.algorithm {
            Scheme::Token | Scheme::Basic => format!("compare {header} with {}", p.secret),
            _ => format!(
                "check {header}: {title} signs {} with {}",
                p.signs, p.secret
            ),
        };
        match code {
            Code::Redirect => format!(
                "Give {title} the final URL; the usual causes are http→https and a missing or \
                 extra trailing slash."
            ),
            Code::RejectsValid => format!(
                "Configure the app with {} and {how} (see {}), and run doctor with that same \
                 secret.",
                p.secret, p.docs
            ),
            Code::DuplicateRejected => "Remember the webhooks already processed; when one \
                                        repeats, answer 2xx without doing the work again."
                .into(),
            Code::ServerError => "Look in the app's log for these requests and answer 2xx once \
                                  the webhook is verified and stored."
                .into(),
            Code::NoVerification => format!(
                "Verify every request before acting on it: {how} (see {}), and answer 400 when \
                 it does not match.",
                p.docs
            ),
            Code::UnsignedAccepted => format!(
                "Treat a missing or unreadable {header} as a failed verification and answer 400 \
                 (fail closed)."
            ),
            Code::NoTimestampCheck => {
                let either = if p.rejects_future { ", either way" } else { "" };
                let limit = p.tolerance_s.map_or(String::new(), |t| format!(" {t} s"));
                format!(
                    "Refuse timestamps more than{limit} from now{either}, as {title}'s own \
                     verifier does; checking the signature alone lets a captured webhook be \
                     replayed."
                )
            }
            Code::RejectsWith5xx => "Catch the verification failure and answer 400.".into(),
            Code::Rotation => format!("Accept when any of the signatures in {header} matches."),
            _ => code.fix().into(),
        }
    }
}
