//! Several runs made into one table: each scenario is shown from its median run, whole.

use crate::Row;

/// The first number in a row's value (its headline figure), if any.
fn first_number(r: &Row) -> Option<f64> {
    let start = r.value.find(|c: char| c.is_ascii_digit())?;
    let digits = &r.value[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(digits.len());
    digits[..end].parse::<f64>().ok()
}

/// Each scenario's rows, all from one run: the run whose key figure (the scenario's first row
/// with a target) is the median of the runs that measured it. Kept together, a scenario's
/// derived rows (ratios, "added") agree with the rows they come from.
pub fn median_of_runs(mut runs: Vec<Vec<Row>>) -> Vec<Row> {
    let mut scenarios: Vec<&'static str> = Vec::new();
    for r in runs.iter().flatten() {
        if !scenarios.contains(&scenario_of(r)) {
            scenarios.push(scenario_of(r));
        }
    }
    let mut merged = Vec::new();
    for scenario in scenarios {
        let mut keyed: Vec<(usize, f64)> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, rows)| {
                let mine = || rows.iter().filter(|r| scenario_of(r) == scenario);
                let key = mine().find(|r| r.met.is_some()).or_else(|| mine().next())?;
                // A run that skipped the measure has no figure for it.
                (!key.value.starts_with("skipped")).then_some((i, first_number(key)?))
            })
            .collect();
        keyed.sort_by(|a, b| a.1.total_cmp(&b.1));
        let pick = keyed.get(keyed.len() / 2).map_or(0, |&(i, _)| i);
        let (mine, rest): (Vec<Row>, Vec<Row>) = std::mem::take(&mut runs[pick])
            .into_iter()
            .partition(|r| scenario_of(r) == scenario);
        runs[pick] = rest;
        merged.extend(mine);
    }
    merged
}

/// The scenario a row belongs to (memory figures come from the capture run).
pub fn scenario_of(r: &Row) -> &'static str {
    if r.scenario == "memory" {
        "capture"
    } else {
        r.scenario
    }
}
