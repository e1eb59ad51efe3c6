//! Behavior of models/supply_chain.

use super::{Run, assert_conserved, assert_steady, run, run_experiment};

const MODEL: &str = "supply_chain";

/// The time step of the model: conservation is exact when every step is saved.
const DT: &str = "0.125";

/// The largest value of a variable after the demand step (week 5).
fn peak_after_step(run: &Run, name: &str) -> f64 {
    run.times()
        .iter()
        .zip(run.series(name))
        .filter(|(t, _)| **t > 5.0)
        .map(|(_, v)| v)
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Stationary random demand for the variance-ratio measure of the bullwhip: no step, weekly
/// noise with a standard deviation of 10% of the 1,000 cases a week, over ten years.
const NOISY: [&str; 6] = ["--set", "Demand Step=0", "--set", "Demand Noise=100", "--stop", "520"];

/// Weeks discarded before the statistics: the noise starts at 0 and the chain needs time to
/// forget its equilibrium start.
const WARM_UP: f64 = 52.0;

/// The sample standard deviation of a variable's weekly values after the warm-up.
fn weekly_sd(run: &Run, name: &str) -> f64 {
    let values: Vec<f64> =
        run.times().iter().zip(run.series(name)).filter(|(t, _)| **t >= WARM_UP).map(|(_, v)| v).collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// The bullwhip as Lee et al. (1997) and Chen et al. (2000) measure it: sd(orders) / sd(demand)
/// under stationary random demand, for the retailer's orders and the factory's production starts.
fn variance_ratios(weight: &str, seed: &str) -> (f64, f64) {
    let weight = format!("Supply Line Weight={weight}");
    let chain = run(MODEL, &[&NOISY[..], &["--set", &weight, "--seed", seed]].concat());
    let demand = weekly_sd(&chain, "Customer Orders");
    (weekly_sd(&chain, "Retailer Orders") / demand, weekly_sd(&chain, "Production Starts") / demand)
}

/// The smallest value of a variable after it has peaked.
fn low_after_peak(run: &Run, name: &str) -> f64 {
    let values = run.series(name);
    let peak = (0..values.len()).max_by(|&a, &b| values[a].total_cmp(&values[b])).expect("saved values");
    values[peak..].iter().copied().fold(f64::INFINITY, f64::min)
}

#[test]
fn equilibrium_holds_without_the_demand_step_under_every_policy() {
    for policy in ["Supply Line Weight=0.34", "Supply Line Weight=0", "Supply Line Weight=1", "POS Data Share=1"] {
        assert_steady(MODEL, &["--set", "Demand Step=0", "--set", policy], 1e-9);
    }
    let flat = run(MODEL, &["--set", "Demand Step=0"]);
    assert_eq!(flat.max("Factory Order Amplification"), 0.0, "no step, no amplification");
    assert_eq!(flat.min("Customer Fill Rate"), 1.0, "every order ships on time in equilibrium");
}

/// The bullwhip at the model's defaults (supply-line weight 0.34, Sterman's mean estimate): a
/// 20% step in customer demand makes the retailer's orders overshoot by more than the step and
/// the factory's by more still.
#[test]
fn orders_swing_more_the_further_upstream() {
    let chain = run(MODEL, &[]);
    assert_eq!(chain.max("Customer Orders"), 1200.0);
    let retailer = chain.max("Retailer Order Amplification");
    let factory = chain.max("Factory Order Amplification");
    assert!(retailer > 1.5, "retailer amplification {retailer}");
    assert!(factory > 1.5 * retailer, "factory amplification {factory} against retailer {retailer}");
    // The overshoot is followed by an undershoot below the new demand: orders ring.
    assert!(low_after_peak(&chain, "Production Starts") < 1000.0, "production starts do not undershoot");
}

/// Ignoring the supply line entirely (weight 0, as many beer-game players do) turns the overshoot
/// into a sustained oscillation: the factory orders several times the demand step, stops
/// ordering altogether, and the retailer runs out of stock.
#[test]
fn ignoring_the_supply_line_makes_factory_orders_swing_far_more_than_demand() {
    let chain = run(MODEL, &["--set", "Supply Line Weight=0"]);
    let factory = chain.max("Factory Order Amplification");
    assert!(factory > 6.0, "factory amplification {factory}");
    assert!(chain.max("Retailer Order Amplification") > 2.5);
    let starts = chain.series("Production Starts");
    let stopped = starts.iter().position(|&s| s < 1.0).expect("production stops at some point");
    assert!(starts[stopped..].iter().any(|&s| s > 2000.0), "and surges again: a cycle, not one overshoot");
    assert!(chain.max("Retailer Backorders") > 500.0, "customers wait");
    assert!(chain.min("Customer Fill Rate") < 0.7);
}

/// Counting the whole supply line (weight 1): the orders still overshoot once, because each
/// echelon must build inventory and pipeline for the higher demand and refill what it lost while
/// its forecast caught up, but the retailer's amplification stays below 1.5, the factory's below
/// 2.3 (against 3.35 at the default weight and 8.5 at weight 0), and orders settle without
/// undershooting the new demand.
#[test]
fn counting_the_whole_supply_line_keeps_amplification_near_one() {
    let chain = run(MODEL, &["--set", "Supply Line Weight=1"]);
    let retailer = chain.max("Retailer Order Amplification");
    let factory = chain.max("Factory Order Amplification");
    assert!(retailer > 1.0 && retailer < 1.5, "retailer amplification {retailer}");
    assert!(factory > 1.0 && factory < 2.3, "factory amplification {factory}");
    let ignoring = run(MODEL, &["--set", "Supply Line Weight=0"]).max("Factory Order Amplification");
    assert!(factory - 1.0 < 0.2 * (ignoring - 1.0), "most of the excess swing comes from ignoring the supply line");
    for orders in ["Retailer Orders", "Production Starts"] {
        let low = low_after_peak(&chain, orders);
        assert!(low > 0.99 * 1200.0, "{orders} undershoot to {low}");
    }
    assert!((chain.last("Production Starts") - 1200.0).abs() < 5.0, "production settles at the new demand");
}

/// Cases are neither made nor lost between the start of production and the delivery to
/// customers, and an order leaves a backlog only by being filled; checked in the most violent
/// run (no supply-line accounting: stockouts at both echelons, orders cut to zero).
#[test]
fn material_and_orders_are_conserved_through_the_chain() {
    let chain = run(MODEL, &["--set", "Supply Line Weight=0", "--method", "euler", "--save-step", DT]);
    assert!(chain.min("Factory Inventory") < 1000.0 && chain.max("Factory Backorders") > 1000.0, "stockouts happen");
    let material = ["Work in Process", "Factory Inventory", "Goods in Transit", "Retailer Inventory"];
    assert_conserved(&chain, &material, &["Production Starts"], &["Retailer Shipments"]);
    assert_conserved(&chain, &["Retailer Backorders"], &["Customer Orders"], &["Customer Orders Filled"]);
    assert_conserved(&chain, &["Factory Backorders"], &["Retailer Orders"], &["Retailer Orders Filled"]);
    for stock in material {
        assert!(chain.min(stock) >= 0.0, "{stock} goes negative");
    }
}

/// The experiment's options move the outcomes the way the literature says: counting the supply
/// line and sharing point-of-sale data damp the factory's swing (the second without changing the
/// retailer's ordering); more safety stock protects customers at a holding cost.
#[test]
fn interventions_damp_the_bullwhip_or_buy_service_with_inventory() {
    let baseline = run_experiment(MODEL, None, &[]);
    let amplification = |run: &Run| run.max("Factory Order Amplification");
    let cost = |run: &Run| run.cumulative("Chain Cost Rate");
    let counted = run_experiment(MODEL, Some("account for the supply line"), &[]);
    assert!(amplification(&counted) < amplification(&baseline) - 1.0);
    assert!(counted.max("Chain Inventory") < baseline.max("Chain Inventory"));
    assert!(cost(&counted) < cost(&baseline));
    let shared = run_experiment(MODEL, Some("share point-of-sale data"), &[]);
    assert!(amplification(&shared) < amplification(&baseline) - 0.5);
    let retail_change = shared.max("Retailer Order Amplification") - baseline.max("Retailer Order Amplification");
    assert!(retail_change.abs() < 0.1, "the retailer orders as before: {retail_change}");
    let buffered = run_experiment(MODEL, Some("hold more safety stock"), &[]);
    assert!(baseline.min("Customer Fill Rate") < 0.95);
    assert_eq!(buffered.min("Customer Fill Rate"), 1.0, "no customer waits");
    assert!(cost(&buffered) > 1.2 * cost(&baseline), "but holding costs rise");
    let faster = run_experiment(MODEL, Some("shorten lead time"), &[]);
    assert!(peak_after_step(&faster, "Production Starts") < peak_after_step(&baseline, "Production Starts"));
    assert!(faster.min("Customer Fill Rate") > baseline.min("Customer Fill Rate"));
}

/// The demand noise has the standard deviation it is given: white noise drawn every step, scaled
/// so that its one-week smooth has sd Demand Noise, with mean 0.
#[test]
fn demand_noise_has_the_stated_standard_deviation() {
    let demand = run(MODEL, &["--set", "Demand Step=0", "--set", "Demand Noise=100", "--stop", "5200", "--seed", "1"]);
    let sd = weekly_sd(&demand, "Customer Orders");
    assert!((sd - 100.0).abs() < 5.0, "sd of customer orders {sd}");
    let mean = demand.series("Customer Orders").iter().sum::<f64>() / demand.times().len() as f64;
    assert!((mean - 1000.0).abs() < 5.0, "mean customer orders {mean}");
}

/// Under stationary random demand (sd 10% of demand), ignoring the supply line makes the
/// retailer's orders vary well over 1.5 times as much as demand and the factory's over 4 times;
/// the noise tips the chain into the boom-and-bust cycle of the step response, in which
/// production stops at times. Over 20 seeds the ratios range 2.0-3.5 and 5.3-9.6.
#[test]
fn ignoring_the_supply_line_amplifies_the_variance_of_random_demand() {
    for seed in ["1", "2"] {
        let (retailer, factory) = variance_ratios("0", seed);
        assert!(retailer > 1.5, "seed {seed}: retailer sd ratio {retailer}");
        assert!(factory > 4.0, "seed {seed}: factory sd ratio {factory}");
        assert!(factory > retailer, "seed {seed}: amplification grows upstream");
    }
}

/// Counting the whole supply line brings the variance ratio to about 1: with nothing to build up
/// (demand is stationary) the factory's orders vary about as much as demand (0.94-1.16 over 20
/// seeds, 1.04-1.11 over 5,200 weeks) and the retailer's less (0.75-0.86: its three-week forecast
/// smooths the noise). The band 0.6-1.3 holds every seed with a margin for sampling error.
#[test]
fn counting_the_whole_supply_line_keeps_the_variance_ratio_near_one() {
    for seed in ["1", "2"] {
        let (retailer, factory) = variance_ratios("1", seed);
        assert!(retailer > 0.6 && retailer < 1.3, "seed {seed}: retailer sd ratio {retailer}");
        assert!(factory > 0.6 && factory < 1.3, "seed {seed}: factory sd ratio {factory}");
        let (_, ignoring) = variance_ratios("0", seed);
        assert!(factory < ignoring / 4.0, "seed {seed}: {factory} against {ignoring} ignoring the supply line");
    }
}
