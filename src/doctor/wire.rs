//! A doctor run as the live stream carries it: `doctor.progress` frames, one per step, each
//! `{"run_id", "phase", …}`. The finished run's summary is also what the store keeps with it.

use serde::Serialize;

use super::{Counts, Diagnosis, DoctorReport, ScenarioResult};

/// One `doctor.progress` frame.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    /// The stored run (`GET /api/doctor/runs/{run_id}`).
    pub run_id: i64,
    /// What happened.
    #[serde(flatten)]
    pub step: Step,
}

impl crate::live::Frame for Frame {
    const TYPE: &'static str = "doctor.progress";
}

/// The steps of a run, tagged by `phase`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Step {
    /// The run began.
    Started {
        /// The URL tested.
        target: String,
        /// The scenarios it will run, in order.
        scenarios: Vec<&'static str>,
    },
    /// A scenario is being delivered.
    Running {
        /// Its position, from 0.
        index: usize,
        /// How many scenarios the run has.
        total: usize,
        /// Its name.
        name: &'static str,
    },
    /// A scenario ended.
    Result {
        /// Its position, from 0.
        index: usize,
        /// How many scenarios the run has.
        total: usize,
        /// How it went, with every request and response.
        result: ScenarioResult,
    },
    /// Every scenario ended.
    Finished(Summary),
    /// hookpit stopped before the run ended.
    Interrupted,
}

/// How a finished run went, without its scenarios.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Whether nothing failed.
    pub ok: bool,
    /// Scenarios per outcome.
    pub counts: Counts,
    /// How long the run took.
    pub duration_ms: u64,
    /// What went wrong and how to fix it.
    pub diagnoses: Vec<Diagnosis>,
}

impl From<&DoctorReport> for Summary {
    fn from(r: &DoctorReport) -> Summary {
        Summary {
            ok: r.ok,
            counts: r.counts,
            duration_ms: r.duration_ms,
            diagnoses: r.diagnoses.clone(),
        }
    }
}
