//! Published Vensim models against Vensim's own output, from `../shared/vensim/`: WORLD3-03
//! (Meadows, Randers and Meadows' 2004 update of World3) with Vensim's run of its scenario 1, and
//! Climate Interactive's C-LEARN v77 with Vensim's reference run.
//!
//! Vensim stores single precision, so agreement is asked within 1e-3 relative, for every variable
//! Vensim saved (its internal `#...#` delay and smooth stages aside) at every saved time.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use fulcrum_model::{CanonicalName, Precision};

use crate::conformance::{check_round_trip, suite_or_skip};
use crate::{fulcrum, root, stderr};

/// Vensim's single precision, relative to the larger magnitude.
const TOLERANCE: f64 = 1e-3;

#[test]
fn world3_matches_vensim_for_every_variable_at_every_saved_time() {
    // The Vensim models sit beside the conformance suite and are required where it is.
    let Some(_) = suite_or_skip("world3_matches_vensim_for_every_variable_at_every_saved_time") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("world3-03");
    let report =
        compare_with_vensim(&folder.join("wrld3-03.mdl"), &folder.join("vensim-scen01.csv"), Precision::Double);
    assert!(report.missing.is_empty(), "not in the model: {:?}", report.missing);
    let mismatches: Vec<String> =
        report.variables.iter().filter(|v| v.worst > TOLERANCE).map(Variable::describe).collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(report.variables.len(), 260, "the README says all 260 of Vensim's variables are compared");
}

/// WORLD3 in Vensim's own arithmetic (`precision = "single"`): every variable stays within
/// 1e-3 relative at every saved time, and the count identical to Vensim's is pinned.
#[test]
fn world3_in_single_precision_matches_vensim() {
    let Some(_) = suite_or_skip("world3_in_single_precision_matches_vensim") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("world3-03");
    let double =
        compare_with_vensim(&folder.join("wrld3-03.mdl"), &folder.join("vensim-scen01.csv"), Precision::Double);
    let single =
        compare_with_vensim(&folder.join("wrld3-03.mdl"), &folder.join("vensim-scen01.csv"), Precision::Single);
    assert!(single.missing.is_empty(), "not in the model: {:?}", single.missing);
    let mismatches: Vec<String> =
        single.variables.iter().filter(|v| v.worst > TOLERANCE).map(Variable::describe).collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let worst = |report: &Report| report.variables.iter().map(|v| v.worst).fold(0.0, f64::max);
    let identical = |report: &Report| report.variables.iter().filter(|v| v.identical).count();
    let summary = format!(
        "single: worst {:.2e}, {} identical; double: worst {:.2e}, {} identical",
        worst(&single),
        identical(&single),
        worst(&double),
        identical(&double)
    );
    assert_eq!(
        (single.variables.len(), identical(&single), identical(&double)),
        (260, 138, 111),
        "the README says 138 of WORLD3's 260 variables are identical to Vensim's in single precision, 111 in \
         double: {summary}"
    );
}

/// C-LEARN's variables that miss 1e-3 relative at some saved time, by why. None of them has a
/// cause in fulcrum: Vensim computes in single precision, and each group starts at an equation
/// that subtracts nearly equal quantities, where single precision keeps few digits. The first
/// variable of each group (the earliest to differ, whose own inputs all agree within 1e-3 relative)
/// is recomputed in the test below from Vensim's own printed inputs with single-precision
/// arithmetic, and that gives Vensim's value to the bit at every saved time; the rest of a group
/// reads it. Run in single precision itself (`precision = "single"`), fulcrum leaves only 5 of
/// the 3,386 variables beyond 1e-3 (see `clearn_in_single_precision_meets_the_99_percent_rule`).
const CLEARN_SINGLE_PRECISION: [(&str, &[&str]); 5] = [
    (
        // The carbon cycle starts in equilibrium: the 86 GtC/year into biomass balance the 49 and
        // 37 GtC/year out exactly, and fulcrum's difference is 7e-15. Vensim's -7.63e-6 in 1850 is
        // -2^-17, one unit in the last place of 86 in single precision.
        "biomass flows that balance at the start",
        &[
            "net_flux_to_biomass[deterministic]",
            "net_flux_to_biomass[high_2xco2_sensitivity]",
            "net_flux_to_biomass[low_2xco2_sensitivity]",
        ],
    ),
    (
        // Diffusion Flux is a difference of carbon per meter between adjacent ocean layers, about
        // 10.2643 GtC/m in each. Single precision holds 7 digits of it, and a deep layer's stock
        // (3,000 to 18,000 GtC) cannot take an increment below half its spacing: Vensim's layers 2,
        // 3 and 4 keep exactly their starting per-meter value until 1852, 1861 and 1919 (layer 2
        // through a flux of -1.4e-5 GtC/year in 1851), so the fluxes into layers 3 and 4 are
        // exactly 0 until 1852 and 1861, where the exact ones are 1e-11 to 1e-5. That is where
        // Diffusion Flux[layer3] is 0 in 1851 and fulcrum's -2.2e-7. Flux Atm to Ocean is the
        // difference of the mixed layer's equilibrium carbon and its carbon (about 1,026 GtC
        // each); the uptake sums and the atmosphere's net accumulation read both and pass through
        // zero as emissions grow.
        "ocean carbon: differences of nearly equal layer concentrations",
        &[
            "diffusion_flux[deterministic,layer1]",
            "diffusion_flux[deterministic,layer2]",
            "diffusion_flux[deterministic,layer3]",
            "diffusion_flux[deterministic,layer4]",
            "diffusion_flux[high_2xco2_sensitivity,layer1]",
            "diffusion_flux[high_2xco2_sensitivity,layer2]",
            "diffusion_flux[high_2xco2_sensitivity,layer3]",
            "diffusion_flux[high_2xco2_sensitivity,layer4]",
            "diffusion_flux[low_2xco2_sensitivity,layer1]",
            "diffusion_flux[low_2xco2_sensitivity,layer2]",
            "diffusion_flux[low_2xco2_sensitivity,layer3]",
            "diffusion_flux[low_2xco2_sensitivity,layer4]",
            "flux_atm_to_ocean[deterministic]",
            "flux_atm_to_ocean[high_2xco2_sensitivity]",
            "net_uptake[deterministic]",
            "net_uptake_and_net_sequestration[deterministic]",
            "top_of_flows_to_ocean_stacked[deterministic]",
            "top_of_net_sequestration[deterministic]",
            "net_uptake_less_land_use_emissions[deterministic]",
            "net_uptake_less_land_use_emissions[high_2xco2_sensitivity]",
            "net_uptake_less_land_use_emissions[low_2xco2_sensitivity]",
            "net_uptake_and_net_seq_less_land_use_emissions[deterministic]",
            "net_uptake_and_net_seq_less_land_use_emissions[high_2xco2_sensitivity]",
            "net_uptake_and_net_seq_less_land_use_emissions[low_2xco2_sensitivity]",
            "emissions_minus_removals",
            "atmospheric_retention[deterministic]",
            "atmospheric_retention[high_2xco2_sensitivity]",
            "atmospheric_retention[low_2xco2_sensitivity]",
            "net_accumulation[deterministic]",
            "net_accumulation[high_2xco2_sensitivity]",
            "net_accumulation[low_2xco2_sensitivity]",
        ],
    ),
    (
        // Heat Transfer is the difference of the surface temperature and the first deep layer's,
        // both accumulated over decades in single precision; the forcing (positive greenhouse
        // gases against negative aerosols), the temperatures, the ocean's heat content and sea
        // level relative to 1990 or 2000 all cross zero. Each misses 1e-3 only near its crossing:
        // all are within 1e-5 of their largest magnitude.
        "heat, forcing, temperature and sea level near their zero crossings",
        &[
            "heat_transfer[deterministic,layer1]",
            "heat_transfer[low_2xco2_sensitivity,layer1]",
            "heat_transfer[low_2xco2_sensitivity,layer2]",
            "heat_transfer_and_loss[low_2xco2_sensitivity]",
            "heat_in_deep_ocean[deterministic,layer1]",
            "heat_in_deep_ocean[high_2xco2_sensitivity,layer1]",
            "heat_in_deep_ocean[low_2xco2_sensitivity,layer1]",
            "relative_deep_ocean_temp[deterministic,layer1]",
            "relative_deep_ocean_temp[high_2xco2_sensitivity,layer1]",
            "relative_deep_ocean_temp[low_2xco2_sensitivity,layer1]",
            "heat_to_700m[deterministic]",
            "heat_to_700m[high_2xco2_sensitivity]",
            "heat_to_700m_j[deterministic]",
            "heat_to_700m_j[high_2xco2_sensitivity]",
            "heat_to_700m_j[low_2xco2_sensitivity]",
            "heat_to_2000m[deterministic]",
            "heat_to_2000m[low_2xco2_sensitivity]",
            "heat_to_2000m_j[deterministic]",
            "heat_to_2000m_j[low_2xco2_sensitivity]",
            "feedback_cooling[low_2xco2_sensitivity]",
            "heat_in_atmosphere_and_upper_ocean[low_2xco2_sensitivity]",
            "radiative_forcing[deterministic]",
            "radiative_forcing[high_2xco2_sensitivity]",
            "radiative_forcing[low_2xco2_sensitivity]",
            "total_radiative_forcing[deterministic]",
            "total_radiative_forcing[high_2xco2_sensitivity]",
            "total_radiative_forcing[low_2xco2_sensitivity]",
            "equilibrium_temperature[deterministic]",
            "equilibrium_temperature[high_2xco2_sensitivity]",
            "equilibrium_temperature[low_2xco2_sensitivity]",
            "temperature_change_from_preindustrial[low_2xco2_sensitivity]",
            "temperature_change_from_preindustrial_deg_f[low_2xco2_sensitivity]",
            "adjusted_temperature_change_from_preindustrial[high_2xco2_sensitivity]",
            "adjusted_temperature_change_from_preindustrial[low_2xco2_sensitivity]",
            "temperature_change_from_1990[low_2xco2_sensitivity]",
            "change_in_relative_temperature[deterministic]",
            "change_in_relative_temperature[high_2xco2_sensitivity]",
            "change_in_relative_temperature[low_2xco2_sensitivity]",
            "instant_change_in_sea_level[deterministic]",
            "instant_change_in_sea_level[high_2xco2_sensitivity]",
            "instant_change_in_sea_level[low_2xco2_sensitivity]",
            "sea_level_rise[deterministic]",
            "sea_level_rise[high_2xco2_sensitivity]",
            "sea_level_rise[low_2xco2_sensitivity]",
            "slr_-_ft[deterministic]",
            "slr_-_ft[high_2xco2_sensitivity]",
            "slr_-_ft[low_2xco2_sensitivity]",
            "slr_in_2000[deterministic]",
            "slr_in_2000[high_2xco2_sensitivity]",
        ],
    ),
    (
        // A growth rate is (X - SMOOTH(X, 1 year)) / X: about 0.0035 of X, so single precision's
        // 6e-8 of X is 2e-5 of the rate; a bloc's equity adjuster subtracts the world's rate from
        // the bloc's, nearly equal, magnifying that a hundredfold.
        "growth rates and their differences",
        &[
            "annual_rate_adjuster_for_equity[g77_india]",
            "annual_rate_adjuster_for_equity[oecd_eu]",
            "annual_rate_adjuster_for_equity[oecd_us]",
            "annual_rate_adjuster_for_equity[remaining_developing_a]",
            "gdp_growth_rate[g77_india]",
            "semi_agg_gdp_growth_rate[india]",
        ],
    ),
    (
        // Gaps to goals: the trillionth ton less cumulative emissions (1000 - 999.95 GtC in 2045,
        // where single precision's spacing is 6e-5), and the gap closing percentages, which divide
        // a difference of nearly equal quantities by another. CO2eq Gap Closing Percentage's
        // numerator, BAU CO2eq less Equivalent CO2 in this business-as-usual run, is a few units
        // in the last place of Vensim's 282 to 1,265 ppm: its whole series is rounding, and its
        // denominator, BAU CO2eq less 450 ppm, passes through zero in 2024. It alone is beyond
        // 1e-3 of its scale.
        "gaps to goals",
        &[
            "budget_c_remaining",
            "temperature_gap_closing_percentage",
            "temperature_due_to_co2_ff_gap_closing_percentage",
            "co2eq_gap_closing_percentage",
        ],
    ),
];

/// Every variable is within 1e-3 relative of Vensim at every saved time, or else named in
/// `CLEARN_SINGLE_PRECISION` with the reason, and then within 1e-3 of the variable's largest
/// magnitude in Vensim's run, CO2eq Gap Closing Percentage aside — so that a change which loses
/// exactness anywhere fails. Lookup tables have no time series in Vensim's output (its file holds
/// placeholders for them); they are not compared.
#[test]
fn clearn_matches_vensim_for_every_variable() {
    let Some(_) = suite_or_skip("clearn_matches_vensim_for_every_variable") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("c-learn");
    let report = compare_with_vensim(
        &folder.join("C-LEARN v77 for Vensim.mdl"),
        &folder.join("vensim-ref.csv"),
        Precision::Double,
    );
    assert!(report.missing.is_empty(), "not in the model: {:?}", report.missing);
    assert_eq!(report.tables, 57, "the README says 57 of Vensim's columns are lookup tables");
    let named: HashSet<&str> = CLEARN_SINGLE_PRECISION.iter().flat_map(|(_, names)| names.iter().copied()).collect();
    let beyond_relative: Vec<&Variable> = report.variables.iter().filter(|v| v.worst > TOLERANCE).collect();
    let unexplained: Vec<String> =
        beyond_relative.iter().filter(|v| !named.contains(v.name.as_str())).map(|v| v.describe()).collect();
    assert!(unexplained.is_empty(), "beyond 1e-3 relative and not named:\n{}", unexplained.join("\n"));
    let beyond: HashSet<&str> = beyond_relative.iter().map(|v| v.name.as_str()).collect();
    let agreeing: Vec<&&str> = named.iter().filter(|name| !beyond.contains(**name)).collect();
    assert!(agreeing.is_empty(), "named but within 1e-3 relative now: {agreeing:?}");
    // (BAU CO2eq - Equivalent CO2) / (BAU CO2eq - goal): see the last group.
    let known = ["co2eq_gap_closing_percentage"];
    let beyond_scale: Vec<&Variable> = report.variables.iter().filter(|v| v.worst_of_scale > TOLERANCE).collect();
    let unexpected: Vec<String> =
        beyond_scale.iter().filter(|v| !known.contains(&v.name.as_str())).map(|v| v.describe()).collect();
    assert!(unexpected.is_empty(), "beyond 1e-3 of their scale:\n{}", unexpected.join("\n"));
    assert_eq!(beyond_scale.len(), known.len(), "a known difference is gone: update the list and the README");
    assert_eq!(
        (report.variables.len(), report.variables.len() - beyond_relative.len()),
        (3386, 3293),
        "the README says 3,293 of the 3,386 variables are within 1e-3 relative at every saved time"
    );
}

/// C-LEARN's variables that miss 1e-3 relative at some saved time even when fulcrum runs in
/// Vensim's own precision (`precision = "single"`), with the reason.
const CLEARN_BEYOND_IN_SINGLE_PRECISION: [(&str, &[&str]); 2] = [
    (
        // A bloc's equity adjuster subtracts the world's growth rate from the bloc's, nearly
        // equal, and each rate is itself (X - SMOOTH(X, 1 year)) / X, a difference of nearly equal
        // quantities: one float32 unit in the last place of X (from an `EXP`, `LN` or `^` rounded
        // from double, which may be one unit from Vensim's C library, or from the order of
        // operations inside Vensim's SMOOTH) is 2e-5 of the rate and 2e-3 of the adjuster. Both
        // are within 3e-6 of the adjuster's largest magnitude.
        "differences of nearly equal growth rates",
        &["annual_rate_adjuster_for_equity[g77_india]", "annual_rate_adjuster_for_equity[remaining_developing_a]"],
    ),
    (
        // A gap closing percentage divides a difference of nearly equal quantities by another
        // (the gap to the goal): the temperature gaps at 2100 are a few hundredths of a degree
        // out of 2 to 4, and CO2eq Gap Closing Percentage's numerator is a few units in the last
        // place of 282 to 1,265 ppm in this business-as-usual run, so one unit in the last place of
        // an input moves it by 2e-3 (the temperature gaps) or by all of its value (CO2eq).
        "gaps to goals",
        &[
            "temperature_gap_closing_percentage",
            "temperature_due_to_co2_ff_gap_closing_percentage",
            "co2eq_gap_closing_percentage",
        ],
    ),
];

/// Run in Vensim's own arithmetic (`precision = "single"`: every stored value and every result
/// rounded to float32), C-LEARN meets the issue's rule of at least 99% of its variables within
/// 1e-3 relative at every saved time; the few that still miss are named with the reason, and the
/// count of variables identical to Vensim's at every saved time is pinned as well.
#[test]
fn clearn_in_single_precision_meets_the_99_percent_rule() {
    let Some(_) = suite_or_skip("clearn_in_single_precision_meets_the_99_percent_rule") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("c-learn");
    let report = compare_with_vensim(
        &folder.join("C-LEARN v77 for Vensim.mdl"),
        &folder.join("vensim-ref.csv"),
        Precision::Single,
    );
    assert!(report.missing.is_empty(), "not in the model: {:?}", report.missing);
    let beyond: Vec<&Variable> = report.variables.iter().filter(|v| v.worst > TOLERANCE).collect();
    let named: HashSet<&str> =
        CLEARN_BEYOND_IN_SINGLE_PRECISION.iter().flat_map(|(_, names)| names.iter().copied()).collect();
    let described: Vec<String> = beyond.iter().map(|v| v.describe()).collect();
    let unexplained: Vec<&String> =
        beyond.iter().zip(&described).filter(|(v, _)| !named.contains(v.name.as_str())).map(|(_, d)| d).collect();
    assert!(unexplained.is_empty(), "beyond 1e-3 relative and not named: {unexplained:#?}");
    let names_beyond: HashSet<&str> = beyond.iter().map(|v| v.name.as_str()).collect();
    let agreeing: Vec<&&str> = named.iter().filter(|name| !names_beyond.contains(**name)).collect();
    assert!(agreeing.is_empty(), "named but within 1e-3 relative now: {agreeing:?}");
    let total = report.variables.len();
    let within = total - beyond.len();
    assert!(within * 100 >= total * 99, "{within} of {total} within 1e-3 relative: the issue asks 99%");
    let identical = report.variables.iter().filter(|v| v.identical).count();
    assert_eq!(
        (total, within, identical),
        (3386, 3381, 2696),
        "the README says that in single precision 3,381 of the 3,386 variables are within 1e-3 relative at \
         every saved time, 2,696 identical to Vensim's; beyond: {described:#?}"
    );
}

/// The evidence for `CLEARN_SINGLE_PRECISION`: the equations where the groups' differences start
/// (Net Flux to Biomass, Flux Atm to Ocean, Diffusion Flux, Heat Transfer, the equity adjusters
/// and the gaps to goals) are evaluated in single precision on the values Vensim printed for
/// their inputs, and give Vensim's printed value to the bit at every saved time: Vensim computes
/// the same equations, in single precision. Where fulcrum's value first misses 1e-3 relative, its
/// inputs are still within 1e-3 relative of Vensim's: the difference is made in the subtraction.
/// (Change in Relative Temperature, which starts the sea-level chain, subtracts a SMOOTH whose
/// stock Vensim does not print, so it cannot be recomputed this way.)
#[test]
fn clearn_differences_start_where_vensim_subtracts_in_single_precision() {
    let Some(_) = suite_or_skip("clearn_differences_start_where_vensim_subtracts_in_single_precision") else {
        return;
    };
    let folder = root().join("..").join("shared").join("vensim").join("c-learn");
    let model = folder.join("C-LEARN v77 for Vensim.mdl");
    let bytes = std::fs::read(&model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    let (model, _) = fulcrum_vensim::read(&fulcrum_vensim::decode(bytes)).expect("the model reads");
    let resolved = fulcrum_model::resolve(&model).expect("the model resolves");
    let results = fulcrum_sim::compile(&resolved).expect("the model compiles").new_run().run().expect("the run ends");
    let run: HashMap<CanonicalName, usize> =
        results.names().iter().enumerate().map(|(column, name)| (CanonicalName::new(name), column)).collect();
    let mut reader = csv::Reader::from_path(folder.join("vensim-ref.csv")).expect("Vensim's output is readable");
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|record| record.expect("a row").iter().map(|cell| cell.parse().unwrap_or(f64::NAN)).collect())
        .collect();
    let vensim = |name: &str| -> usize {
        header.iter().position(|column| column == name).unwrap_or_else(|| panic!("{name} is not in Vensim's file"))
    };
    let fulcrum = |name: &str| results.column(run[&CanonicalName::new(name)]);
    // `equation` over the inputs' values as Vensim printed them (exactly: single precision)
    // gives Vensim's value of `name` at every saved time; and where fulcrum's `name` first misses
    // 1e-3 relative, fulcrum's inputs are within 1e-3 relative of Vensim's.
    let reproduces = |name: &str, inputs: &[&str], equation: &dyn Fn(&[f32]) -> f32| {
        let (output, inputs): (usize, Vec<usize>) = (vensim(name), inputs.iter().map(|input| vensim(input)).collect());
        for row in &rows {
            let values: Vec<f32> = inputs.iter().map(|&input| row[input] as f32).collect();
            assert!(values.iter().zip(&inputs).all(|(&v, &input)| f64::from(v) == row[input]), "single precision");
            assert_eq!(f64::from(equation(&values)), row[output], "{name} at {}", row[0]);
        }
        let first_miss = rows
            .iter()
            .zip(fulcrum(name))
            .position(|(row, &actual)| relative_difference(row[output], actual) > TOLERANCE);
        let Some(step) = first_miss else { return };
        for &input in &inputs {
            let difference = relative_difference(rows[step][input], fulcrum(&header[input])[step]);
            assert!(
                difference <= TOLERANCE,
                "{name} at {}: its input {} differs by {difference:.1e}",
                rows[step][0],
                header[input]
            );
        }
    };
    for scenario in ["deterministic", "high_2xco2_sensitivity", "low_2xco2_sensitivity"] {
        reproduces(
            &format!("net_flux_to_biomass[{scenario}]"),
            &[
                &format!("flux_atm_to_biomass[{scenario}]"),
                &format!("flux_biomass_to_atmosphere[{scenario}]"),
                &format!("flux_humus_to_atmosphere[{scenario}]"),
            ],
            &|v| v[0] - v[1] - v[2],
        );
        // Mixing Time is 1 year.
        reproduces(
            &format!("flux_atm_to_ocean[{scenario}]"),
            &[&format!("equil_c_in_mixed_layer[{scenario}]"), &format!("c_in_mixed_layer[{scenario}]")],
            &|v| v[0] - v[1],
        );
        // Eddy diff coeff is 4400 m²/year; Mean Depth of Adjacent Layers 200, 300, 800 and 1550 m.
        let mut upper = format!("c_in_mixed_layer_per_meter[{scenario}]");
        for (layer, mean_depth) in [200.0_f32, 300.0, 800.0, 1550.0].into_iter().enumerate() {
            let lower = format!("c_in_deep_ocean_per_meter[{scenario},layer{}]", layer + 1);
            reproduces(&format!("diffusion_flux[{scenario},layer{}]", layer + 1), &[&upper, &lower], &|v| {
                (v[0] - v[1]) * 4400.0 / mean_depth
            });
            upper = lower;
        }
        // Heat Transfer Coeff is 246; Mean Depth of Adjacent Layers as above.
        let mut upper = format!("temperature_change_from_preindustrial[{scenario}]");
        for (layer, mean_depth) in [200.0_f32, 300.0, 800.0, 1550.0].into_iter().enumerate() {
            let lower = format!("relative_deep_ocean_temp[{scenario},layer{}]", layer + 1);
            reproduces(&format!("heat_transfer[{scenario},layer{}]", layer + 1), &[&upper, &lower], &|v| {
                (v[0] - v[1]) * 246.0 / mean_depth
            });
            upper = lower;
        }
    }
    // Allocation method is 1: the bloc's population growth rate less the world's.
    for bloc in ["g77_india", "oecd_eu", "oecd_us", "remaining_developing_a"] {
        reproduces(
            &format!("annual_rate_adjuster_for_equity[{bloc}]"),
            &[&format!("population_growth_rate[{bloc}]"), "global_population_growth_rate"],
            &|v| v[0] - v[1],
        );
    }
    // Trillionth ton of C is 1000 GtC.
    reproduces("budget_c_remaining", &["cumulative_global_co2_in_c"], &|v| 1000.0 - v[0]);
    // BAU temp is 4.527 °C, Goal for Temperature 2 °C.
    reproduces("temperature_gap_closing_percentage", &["temperature_change_from_preindustrial[deterministic]"], &|v| {
        (4.527 - v[0]) / (4.527 - 2.0) * 100.0
    });
    reproduces(
        "temperature_due_to_co2_ff_gap_closing_percentage",
        &[
            "bau_temperature_change_from_global_co2_ff_in_2100",
            "temperature_change_from_co2_ff[deterministic]",
            "goal_for_temperature_change_due_to_co2_ff",
        ],
        &|v| (v[0] - v[1]) / (v[0] - v[2]) * 100.0,
    );
    // Goal for CO2eq is 450 ppm.
    reproduces("co2eq_gap_closing_percentage", &["bau_atm_conc_co2eq", "equivalent_co2[deterministic]"], &|v| {
        (v[0] - v[1]) / (v[0] - 450.0) * 100.0
    });
}

/// An experiment over WORLD3 as a Vensim user would write one, naming the `.mdl`: `fulcrum
/// leverage` ranks its levers for both outcomes, with a finite score for every pair.
#[test]
fn leverage_runs_on_an_experiment_over_world3() {
    let Some(_) = suite_or_skip("leverage_runs_on_an_experiment_over_world3") else { return };
    let model = root().join("..").join("shared").join("vensim").join("world3-03").join("wrld3-03.mdl");
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = scratch.path().join("world3.toml");
    let text = format!(
        r#"model = {model:?}
[sampling]
seed = 1
[[uncertain]]
name = "initial nonrenewable resources"
distribution = "uniform"
min = 5e11
max = 2e12
[[lever]]
name = "desired completed family size normal"
min = 2
max = 4
[[lever]]
name = "average life of industrial capital 1"
min = 10
max = 20
[[outcome]]
name = "population in 2100"
variable = "population"
statistic = "final"
[[outcome]]
variable = "industrial output"
statistic = "max"
"#,
        model = model.canonicalize().expect("WORLD3 is there").display().to_string()
    );
    std::fs::write(&experiment, text).expect("written");
    let out = scratch.path().join("out");
    let output = fulcrum(&[
        "leverage",
        experiment.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--futures",
        "10",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(out.join("leverage.csv")).expect("leverage.csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("a row")).collect();
    let mut pairs: Vec<(String, String)> = rows.iter().map(|row| (row[0].to_owned(), row[1].to_owned())).collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("industrial output max", "average life of industrial capital 1"),
            ("industrial output max", "desired completed family size normal"),
            ("population in 2100", "average life of industrial capital 1"),
            ("population in 2100", "desired completed family size normal"),
        ]
        .map(|(outcome, lever)| (outcome.to_owned(), lever.to_owned()))
    );
    for row in &rows {
        let score: f64 = row[2].parse().expect("a number");
        assert!(score.is_finite() && score != 0.0, "{row:?}");
    }
}

/// How one of Vensim's variables compares: the largest difference relative to the larger of the
/// two values, and relative to the variable's largest magnitude in Vensim's run.
struct Variable {
    name: String,
    worst: f64,
    worst_of_scale: f64,
    at: (f64, f64, f64),
    /// Whether the run's value, as a single-precision number, is the one Vensim printed at every
    /// saved time.
    identical: bool,
}

impl Variable {
    fn describe(&self) -> String {
        let (time, expected, actual) = self.at;
        format!(
            "{} at {time}: Vensim {expected}, fulcrum {actual} ({:.2e} relative, {:.2e} of its scale)",
            self.name, self.worst, self.worst_of_scale
        )
    }
}

struct Report {
    variables: Vec<Variable>,
    /// Vensim's columns that name a lookup table of the model.
    tables: usize,
    missing: Vec<String>,
}

/// Runs the model and compares it with every variable of Vensim's output; fails if the file's
/// times are not the run's.
fn compare_with_vensim(model: &Path, reference: &Path, precision: Precision) -> Report {
    let bytes = std::fs::read(model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    let (mut model, diagnostics) = fulcrum_vensim::read(&fulcrum_vensim::decode(bytes)).expect("the model reads");
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    model.sim.precision = precision;
    let tables: HashSet<CanonicalName> = model
        .variables
        .iter()
        .filter(|v| v.kind == fulcrum_model::VariableKind::GraphicalFunction)
        .map(|v| v.canonical.clone())
        .collect();
    let resolved = fulcrum_model::resolve(&model).expect("the model resolves");
    let results = fulcrum_sim::compile(&resolved).expect("the model compiles").new_run().run().expect("the run ends");
    // `fulcrum convert` to TOML and to XMILE keeps every bit.
    check_round_trip(&model, &results).unwrap_or_else(|problem| panic!("{problem}"));

    let mut reader = csv::Reader::from_path(reference).expect("Vensim's output is readable");
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|record| record.expect("a row").iter().map(|cell| cell.parse().unwrap_or(f64::NAN)).collect())
        .collect();
    let times = results.times();
    assert_eq!(rows.len(), times.len(), "Vensim saved {} times, the run {}", rows.len(), times.len());
    for (row, &time) in rows.iter().zip(times) {
        assert!((row[0] - time).abs() < 1e-9, "Vensim's time {} against the run's {time}", row[0]);
    }

    let columns: HashMap<CanonicalName, usize> =
        results.names().iter().enumerate().map(|(column, name)| (CanonicalName::new(name), column)).collect();
    let mut report = Report { variables: Vec::new(), tables: 0, missing: Vec::new() };
    for (index, name) in header.iter().enumerate().skip(1).filter(|(_, name)| !name.starts_with('#')) {
        // The reader that wrote the file spells a `.` in a name as U+2024 ONE DOT LEADER.
        let canonical = CanonicalName::new(&name.replace('\u{2024}', "."));
        let Some(&column) = columns.get(&canonical) else {
            let array = canonical.as_str().split('[').next().unwrap_or_default();
            if tables.contains(&CanonicalName::new(array)) {
                report.tables += 1;
            } else {
                report.missing.push(name.clone());
            }
            continue;
        };
        let series = results.column(column);
        let scale = rows.iter().map(|row| row[index].abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let mut variable =
            Variable { name: name.clone(), worst: 0.0, worst_of_scale: 0.0, at: (0.0, 0.0, 0.0), identical: true };
        for (row, &actual) in rows.iter().zip(series).filter(|(row, _)| row[index].is_finite()) {
            let expected = row[index];
            // Vensim prints a single-precision value with enough digits to name it exactly.
            variable.identical &= (expected as f32).to_bits() == (actual as f32).to_bits();
            // A value fulcrum could not compute is as far off as can be.
            let difference = if actual.is_finite() { relative_difference(expected, actual) } else { f64::INFINITY };
            if difference > variable.worst {
                variable.worst = difference;
                variable.at = (row[0], expected, actual);
            }
            let of_scale =
                if scale == 0.0 || difference.is_infinite() { difference } else { (expected - actual).abs() / scale };
            variable.worst_of_scale = variable.worst_of_scale.max(of_scale);
        }
        report.variables.push(variable);
    }
    report
}

fn relative_difference(expected: f64, actual: f64) -> f64 {
    let scale = expected.abs().max(actual.abs());
    if scale == 0.0 { 0.0 } else { (expected - actual).abs() / scale }
}
