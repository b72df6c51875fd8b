//! Unit tests of the doctor: options, judging and diagnoses.
