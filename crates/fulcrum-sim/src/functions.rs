//! Scalar definitions of the built-in functions. The VM applies these lane by lane; keeping them
//! here, as plain functions, lets the tests check each against hand-computed values.

use fulcrum_model::GraphKind;
use fulcrum_model::resolve::{AllocationRule, Distribution, Family, MAX_INVERTED_SIZE};
use rand::distr::Open01;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Binomial, Distribution as _, Exp1, Gamma, Poisson, StandardNormal, Triangular, Weibull};

use crate::program::{SWEPT_DIRECT_POINTS, Search, Table};

/// Floored modulo (XMILE 3.3.1): the result has the sign of the divisor.
pub fn floored_mod(a: f64, b: f64) -> f64 {
    a - b * (a / b).floor()
}

/// Equality with a tolerance of a few units in the last place, so that `TIME = 0.3` holds at the
/// step whose time is computed as 0.30000000000000004.
pub fn approx_eq(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

/// 1 for true, 0 for false.
pub fn truth(value: bool) -> f64 {
    if value { 1.0 } else { 0.0 }
}

/// -1, 0 or 1.
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `STEP(height, start)`: `height` from the step nearest `start` on (within half a dt), else 0.
pub fn step(time: f64, dt: f64, height: f64, start: f64) -> f64 {
    if time + dt / 2.0 > start { height } else { 0.0 }
}

/// `RAMP(slope, start, end)`: 0 until `start`, then rising with `slope`, level after `end`.
pub fn ramp(time: f64, slope: f64, start: f64, end: f64) -> f64 {
    if time > start && end > start { slope * (time.min(end) - start) } else { 0.0 }
}

/// `PULSE(magnitude, first, interval)`: `magnitude / dt` for one step at `first` and every
/// `interval` after it (once when `interval` is 0). A pulse fires at the step where
/// `STEP(1, pulse time)` switches on, so its volume over the step is exactly `magnitude`.
pub fn pulse(time: f64, dt: f64, magnitude: f64, first: f64, interval: f64) -> f64 {
    // How far past the latest pulse time this step's window [t - dt/2, t + dt/2) reaches.
    let past_first = time + dt / 2.0 - first;
    if past_first <= 0.0 {
        return 0.0;
    }
    let past_latest = if interval > 0.0 {
        let remainder = floored_mod(past_first, interval);
        if remainder == 0.0 { interval } else { remainder }
    } else {
        past_first
    };
    if past_latest <= dt { magnitude / dt } else { 0.0 }
}

/// Vensim's `PULSE TRAIN(start, width, between, end)`: 1 from `start` for `width` (at least one
/// step), again every `between` after that, for as long as the time is not past `end`; 0
/// otherwise. As Vensim does, it compares `time + dt/2` with the pulse edges, so that rounding in
/// the time axis cannot move an edge a step; a pulse is on for the steps whose window
/// `[t, t + dt)` starts inside it. `end` itself still counts, to the nearest step. When `between`
/// is shorter than the width, pulses overlap and the train is 1 from `start` to `end`.
pub fn pulse_train(time: f64, dt: f64, start: f64, width: f64, between: f64, end: f64) -> f64 {
    let time_plus = time + dt / 2.0;
    if !(time_plus > start && time_plus < end + dt) {
        return 0.0;
    }
    let width = width.max(dt);
    if between < width {
        return 1.0;
    }
    truth((time_plus - start) % between < width)
}

/// Vensim's `QUANTUM(x, q)`: `x` truncated toward zero to a whole multiple of `q`, so that
/// `QUANTUM(-x, q) = -QUANTUM(x, q)`; `x` itself when `q` is zero or negative.
pub fn quantum(x: f64, q: f64) -> f64 {
    if q <= 0.0 { x } else { q * (x / q).trunc() }
}

/// `GAMMA LN(x)`: ln |Γ(x)|, by Lanczos' approximation (g = 7, nine terms; about 15 digits) for
/// x ≥ 1/2 and the reflection formula below that. Infinite at the poles 0, -1, -2, ...
pub fn gamma_ln(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 && x.fract() == 0.0 {
        return f64::INFINITY;
    }
    if x < 0.5 {
        // Γ(x) Γ(1 - x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin().abs()).ln() - gamma_ln(1.0 - x);
    }
    let z = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, coefficient) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += coefficient / (z + i as f64);
    }
    let t = z + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + sum.ln()
}

/// The standard normal distribution function Φ(x) = erfc(−x/√2) / 2, to the last few bits in
/// both tails (Stella's `NORMALCDF` is a difference of two of these).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile Φ⁻¹(p): −∞ at 0, +∞ at 1, NaN outside [0, 1] (Stella's
/// `INVNORM`). The inverse error function gives it to about ten digits; two of Halley's steps on
/// Φ(x) − p bring it to the last few bits.
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let mut x = -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p);
    if !x.is_finite() {
        return x;
    }
    for _ in 0..2 {
        // Φ'(x) = φ(x) = exp(−x²/2) / √(2π); Halley's step for f = Φ − p, f'' = −x f'.
        let error = normal_cdf(x) - p;
        let step = error * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
        x -= step / (1.0 + 0.5 * x * step);
    }
    x
}

/// Vensim's `VECTOR SELECT` over `length` elements (see
/// `fulcrum_model::resolve::Expr::VectorSelect` for the action codes). An action or error action
/// that is not one of Vensim's codes gives NaN.
pub fn vector_select(
    length: usize,
    selection: impl Fn(usize) -> f64,
    value: impl Fn(usize) -> f64,
    missing: f64,
    action: f64,
    error_action: f64,
) -> f64 {
    let valid = |code: f64, max: f64| code.fract() == 0.0 && (0.0..=max).contains(&code);
    if !valid(action, 10.0) || !valid(error_action, 3.0) {
        return f64::NAN;
    }
    let (action, error_action) = (action as u8, error_action as u8);
    let mut selected = 0usize;
    let mut combined = match action {
        1 | 5 | 7 => 1.0,
        2 | 8 => f64::INFINITY,
        3 | 9 => f64::NEG_INFINITY,
        _ => 0.0,
    };
    for i in 0..length {
        let weight = selection(i);
        if weight == 0.0 {
            continue;
        }
        selected += 1;
        let term = match action {
            0..=4 => weight * value(i),
            5 => value(i).powf(weight),
            _ => value(i),
        };
        combined = match action {
            1 | 5 | 7 => combined * term,
            2 | 8 => combined.min(term),
            3 | 9 => combined.max(term),
            _ => combined + term,
        };
    }
    if selected == 0 {
        return if matches!(error_action, 1 | 3) { f64::NAN } else { missing };
    }
    if selected > 1 && matches!(error_action, 2 | 3) {
        return f64::NAN;
    }
    match action {
        4 | 10 => combined / selected as f64,
        _ => combined,
    }
}

/// Vensim's allocation functions (see `fulcrum_model::resolve::Expr::Allocate`): ALLOCATE BY
/// PRIORITY and ALLOCATE AVAILABLE give the share of request `position`, DEMAND AT PRICE and
/// SUPPLY AT PRICE the quantity of request `position` at the price `supply` holds, FIND MARKET
/// PRICE the price that clears the market, MARKETP the threshold that clears an ALLOCATE BY
/// PRIORITY allocation and ALLOC P one request's share at a threshold given (`supply`), so
/// that ALLOC P at MARKETP is ALLOCATE BY PRIORITY.
///
/// Each request `q` with profile (type, priority `p`, width `w`) has a demand curve of a common
/// threshold `x`, falling from `q` to 0 as `x` rises past `p`: 1 rectangular (linearly over
/// `p ± w/2`), 2 triangular (the integral of a triangle over `p ± w/2`), 3 normal (mean `p`,
/// standard deviation `w`, through the three-term approximation Vensim uses, see
/// [`normal_upper_tail`]), 4 exponential (the integral of `½·e^(-|x-p|/w)`). ALLOCATE BY
/// PRIORITY is type 1 for every request. A supply curve is the demand curve mirrored about its
/// priority, rising from 0 to `q` (Vensim's supply curves slope up). The allocations' demand
/// curves add up to a sum that falls as `x` rises, and the market's demand minus supply falls
/// too, so bisection ([`threshold`]) finds the threshold where the sum meets the supply (or the
/// price where demand meets supply), to the last bit of `x`; the answer does not depend on
/// anything but the inputs, so runs stay reproducible. A price is searched over Vensim's range,
/// the priorities widened by half a width (types 1 and 2), five widths (3) or ten (4): where
/// every price clears a market, the price is the lowest end of it.
///
/// Type 0 (fixed quantity) wants its whole quantity at any price: DEMAND AT PRICE and SUPPLY AT
/// PRICE give the quantity, and ALLOCATE AVAILABLE, when every request is of type 0, shares a
/// short supply in proportion to the requests. A market of fixed quantities has no price, and
/// type 0 mixed with other types in one allocation, like type 5 (constant elasticity), is not
/// computed: NaN, which stops the run.
pub fn allocate(
    rule: AllocationRule,
    count: usize,
    request: impl Fn(usize) -> f64,
    priority: impl Fn(usize) -> f64,
    width: f64,
    supply: f64,
    position: usize,
) -> f64 {
    // Read through `request` and `priority` (list positions), so that a step allocates nothing.
    let profile = |i: usize| -> Option<Curve> {
        match rule {
            AllocationRule::ByPriority | AllocationRule::AtPriority | AllocationRule::ClearingPriority => {
                Curve::new(1.0, priority(i), width)
            }
            _ => Curve::new(priority(4 * i), priority(4 * i + 1), priority(4 * i + 2)),
        }
    };
    let valid = |i: usize| {
        let q = request(i);
        q >= 0.0 && q.is_finite() && profile(i).is_some()
    };
    let demand = |i: usize, x: f64| profile(i).map_or(f64::NAN, |curve| request(i) * curve.demand(x));
    let supplied = |i: usize, x: f64| profile(i).map_or(f64::NAN, |curve| request(i) * curve.supply(x));
    // The range searched: for an allocation, beyond these bounds every curve is flat (to within
    // e^-40 of the request for the unbounded profiles), so a supply of zero allocates nothing;
    // for a price, Vensim's range.
    let market = matches!(rule, AllocationRule::MarketPrice { .. });
    let reach = |i: usize| profile(i).map_or((f64::NAN, f64::NAN), |curve| curve.reach(market));
    let low = || (0..count).map(|i| reach(i).0).fold(f64::INFINITY, f64::min);
    let high = || (0..count).map(|i| reach(i).1).fold(f64::NEG_INFINITY, f64::max);
    match rule {
        AllocationRule::AtPriority => {
            if !valid(0) || supply.is_nan() {
                return f64::NAN;
            }
            demand(0, supply)
        }
        AllocationRule::ClearingPriority => {
            if count == 0 || !((0..count).all(valid) && supply >= 0.0 && supply.is_finite()) {
                return f64::NAN;
            }
            let requested = (0..count).map(&request).sum::<f64>();
            if supply >= requested {
                // Every curve is full at or below its priority less half the width; a whole
                // width below the lowest priority, each reads exactly 1 (its share is its whole
                // request), whatever the rounding of the priorities' halves.
                return (0..count).map(&priority).fold(f64::INFINITY, f64::min) - width;
            }
            let total = |x: f64| (0..count).map(|i| demand(i, x)).sum::<f64>();
            threshold(low(), high(), |x| total(x) > supply)
        }
        AllocationRule::DemandAtPrice | AllocationRule::SupplyAtPrice => {
            if position >= count || !valid(position) || supply.is_nan() {
                return f64::NAN;
            }
            if rule == AllocationRule::DemandAtPrice { demand(position, supply) } else { supplied(position, supply) }
        }
        AllocationRule::MarketPrice { demanders } => {
            let fixed = (0..count).any(|i| profile(i).is_some_and(|curve| curve.kind == 0));
            if demanders == 0 || demanders >= count || !(0..count).all(valid) || fixed {
                return f64::NAN;
            }
            let demanded = |x: f64| (0..demanders).map(|i| demand(i, x)).sum::<f64>();
            let offered = |x: f64| (demanders..count).map(|i| supplied(i, x)).sum::<f64>();
            threshold(low(), high(), |x| demanded(x) > offered(x))
        }
        AllocationRule::ByPriority | AllocationRule::Available => {
            if !((0..count).all(valid) && supply >= 0.0 && supply.is_finite()) || position >= count {
                return f64::NAN;
            }
            let requested = (0..count).map(&request).sum::<f64>();
            if supply >= requested {
                return request(position);
            }
            if supply == 0.0 {
                return 0.0;
            }
            let fixed = (0..count).filter(|&i| profile(i).is_some_and(|curve| curve.kind == 0)).count();
            if fixed == count {
                return request(position) * (supply / requested);
            }
            if fixed > 0 {
                return f64::NAN;
            }
            let total = |x: f64| (0..count).map(|i| demand(i, x)).sum::<f64>();
            demand(position, threshold(low(), high(), |x| total(x) > supply))
        }
    }
}

/// The lowest `x` in `[low, high]` at which `exceeds` stops holding, by bisection to the last
/// bit: `exceeds` must hold below some point and not above it (a falling sum above a target).
/// The answer is a function of the inputs alone.
fn threshold(mut low: f64, mut high: f64, exceeds: impl Fn(f64) -> bool) -> f64 {
    loop {
        let middle = low + (high - low) / 2.0;
        if middle <= low || middle >= high {
            break;
        }
        if exceeds(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low + (high - low) / 2.0
}

/// A priority profile of Vensim's allocation functions: its type (0 fixed quantity, 1
/// rectangular, 2 triangular, 3 normal, 4 exponential), priority (the curve's middle) and width.
#[derive(Clone, Copy)]
struct Curve {
    kind: u8,
    priority: f64,
    width: f64,
}

impl Curve {
    /// The profile, or `None` for a type fulcrum does not compute, a width not above zero or a
    /// priority that is not a number.
    fn new(kind: f64, priority: f64, width: f64) -> Option<Curve> {
        let known = kind.fract() == 0.0 && (0.0..=4.0).contains(&kind);
        (known && width > 0.0 && priority.is_finite()).then_some(Curve { kind: kind as u8, priority, width })
    }

    /// The fraction of its quantity a demand asks for at `x`: 1 well below the priority, 0 well
    /// above it (1 at every `x` for a fixed quantity).
    fn demand(self, x: f64) -> f64 {
        let Curve { kind, priority, width } = self;
        match kind {
            0 => 1.0,
            1 => ((priority + width / 2.0 - x) / width).clamp(0.0, 1.0),
            2 => {
                let (low, high) = (priority - width / 2.0, priority + width / 2.0);
                if x <= low {
                    1.0
                } else if x < priority {
                    1.0 - 2.0 * ((x - low) / width).powi(2)
                } else if x < high {
                    2.0 * ((high - x) / width).powi(2)
                } else {
                    0.0
                }
            }
            3 if x >= priority => normal_upper_tail((x - priority) / width),
            3 => 1.0 - normal_upper_tail((priority - x) / width),
            _ if x < priority => 1.0 - 0.5 * ((x - priority) / width).exp(),
            _ => 0.5 * ((priority - x) / width).exp(),
        }
    }

    /// The fraction of its quantity a supply offers at `x`: the demand curve mirrored about the
    /// priority (every profile is symmetric about it), so `supply(x) = 1 - demand(x)`, computed
    /// without losing the small values of the tails.
    fn supply(self, x: f64) -> f64 {
        self.demand(2.0 * self.priority - x)
    }

    /// The range of thresholds (or, for a `market`, prices) searched: the curve is flat outside
    /// it for types 1 and 2. For 3 and 4 a threshold is searched over 40 widths, where the curves
    /// are flat to within e^-40, and a price over Vensim's range, five and ten widths (where the
    /// normal curve is within 3e-7 of flat and the exponential within 3e-5): Vensim's run of
    /// SDEverywhere's `allocate_price` model shows its ends, a market price of 0.5, 0.5, -4 and
    /// -9 with no demand for priorities 1 to 3 of width 1 and types 1 to 4.
    fn reach(self, market: bool) -> (f64, f64) {
        let reach = match self.kind {
            0..=2 => self.width / 2.0,
            3 if market => 5.0 * self.width,
            4 if market => 10.0 * self.width,
            _ => 40.0 * self.width,
        };
        (self.priority - reach, self.priority + reach)
    }
}

/// The probability that a standard normal variable exceeds `z` (for `z >= 0`), by the
/// three-term rational approximation of Abramowitz and Stegun (26.2.16, after Hastings; an
/// absolute error below 1e-5). Vensim's normal priority profile is this approximation, not the
/// exact curve: in Vensim's run of SDEverywhere's `allocate` model (priorities 1, 2, 3 of width
/// 1, requests 3, 2, 4) the smallest shares differ from the exact curve's by up to 0.9% and
/// agree with this one to 1e-4.
fn normal_upper_tail(z: f64) -> f64 {
    const P: f64 = 0.33267;
    const A: [f64; 3] = [0.436_183_6, -0.120_167_6, 0.937_298];
    let t = 1.0 / (1.0 + P * z);
    let density = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    density * t * (A[0] + t * (A[1] + t * A[2]))
}

/// Vensim's VECTOR LOOKUP (see `fulcrum_model::resolve::Expr::VectorLookup`): the `count` values
/// `value(i)` at x points spread evenly from `xmin` to `xmax`, read at `x` as `mode` says.
/// Between points the graph is linear; beyond its ends flat (modes 0, 1, 2, 4, 5, 6) or extended
/// along its end segments (3, 7, 8, 9). Backward (2) takes the value of the last point at or
/// below `x`, forward (4) of the first point at or above it. The area (1, 7) runs from `xmin` to
/// `x`, negative below `xmin`. The inverse (5, 8) is the x of the first segment, from the left,
/// whose values span `x`; when none does, the x of the point whose value is nearest (with 8, the
/// end segment extended when that point is an end). The slope (6, 9) is that of the segment `x`
/// lies in (the one to its right at a point, the last one at `xmax`), 0 beyond the ends with 6.
/// Fewer than two values, `xmax` not above `xmin`, or a mode other than the whole numbers 0 to 9
/// give NaN.
pub fn vector_lookup(count: usize, value: impl Fn(usize) -> f64, x: f64, xmin: f64, xmax: f64, mode: f64) -> f64 {
    if count < 2 || !xmin.is_finite() || !xmax.is_finite() || xmax <= xmin || x.is_nan() {
        return f64::NAN;
    }
    if mode.fract() != 0.0 || !(0.0..=9.0).contains(&mode) {
        return f64::NAN;
    }
    let last = count - 1;
    let spacing = (xmax - xmin) / last as f64;
    let at = |i: usize| if i == last { xmax } else { xmin + spacing * i as f64 };
    let slope = |i: usize| (value(i + 1) - value(i)) / (at(i + 1) - at(i));
    // The segment x lies in: at(i) <= x < at(i + 1), kept within the graph.
    let segment = || {
        let mut i = ((x - xmin) / spacing).floor().clamp(0.0, (last - 1) as f64) as usize;
        while i + 1 < last && at(i + 1) <= x {
            i += 1;
        }
        while i > 0 && at(i) > x {
            i -= 1;
        }
        i
    };
    let inside = |i: usize| value(i) + (x - at(i)) * slope(i);
    let extended = || {
        if x < xmin {
            value(0) + (x - xmin) * slope(0)
        } else if x > xmax {
            value(last) + (x - xmax) * slope(last - 1)
        } else {
            inside(segment())
        }
    };
    // The area under the segments from xmin to the point at(i).
    let area_to = |i: usize| (0..i).map(|k| (at(k + 1) - at(k)) * (value(k) + value(k + 1)) / 2.0).sum::<f64>();
    match mode as u8 {
        0 | 3 if x >= xmin && x <= xmax => {
            let i = segment();
            if x == at(i) { value(i) } else { inside(i) }
        }
        0 => value(if x < xmin { 0 } else { last }),
        3 => extended(),
        2 => {
            if x < xmin {
                value(0)
            } else if x >= xmax {
                value(last)
            } else {
                value(segment())
            }
        }
        4 => {
            if x <= xmin {
                value(0)
            } else if x > xmax {
                value(last)
            } else {
                let i = segment();
                value(if x == at(i) { i } else { i + 1 })
            }
        }
        6 | 9 if x < xmin || x > xmax => {
            if mode == 6.0 {
                0.0
            } else if x < xmin {
                slope(0)
            } else {
                slope(last - 1)
            }
        }
        6 | 9 => slope(segment()),
        1 | 7 => {
            if x < xmin {
                let beyond = if mode == 7.0 { extended() } else { value(0) };
                -(xmin - x) * (value(0) + beyond) / 2.0
            } else if x > xmax {
                let beyond = if mode == 7.0 { extended() } else { value(last) };
                area_to(last) + (x - xmax) * (value(last) + beyond) / 2.0
            } else {
                let i = segment();
                area_to(i) + (x - at(i)) * (value(i) + inside(i)) / 2.0
            }
        }
        _ => {
            // The inverse: x is the value sought.
            let target = x;
            for i in 0..last {
                let (a, b) = (value(i), value(i + 1));
                if (a <= target && target <= b) || (b <= target && target <= a) {
                    return if a == b { at(i) } else { at(i) + (target - a) / (b - a) * (at(i + 1) - at(i)) };
                }
            }
            let distance = |i: usize| (value(i) - target).abs();
            let nearest = (1..count).fold(0, |best, i| if distance(i) < distance(best) { i } else { best });
            let end_slope = match nearest {
                0 => slope(0),
                n if n == last => slope(last - 1),
                _ => return at(nearest),
            };
            if mode == 5.0 || distance(nearest).is_nan() {
                return if distance(nearest).is_nan() { f64::NAN } else { at(nearest) };
            }
            if end_slope == 0.0 { f64::NAN } else { at(nearest) + (target - value(nearest)) / end_slope }
        }
    }
}

/// Element `position` (row-major) of the inverse of the `size × size` matrix whose element `k`
/// (row by row) `element(k)` reads; NaN when it is singular. Gauss-Jordan elimination with
/// partial pivoting, written out because a linear-algebra crate's dynamic matrices allocate: a
/// matrix of up to [`MAX_INVERTED_SIZE`] rows is worked on the stack, so that a step allocates
/// nothing; a larger one in the thread's [`LARGE_INVERSE_WORK`], which grows once.
pub fn inverse_element(size: usize, element: impl Fn(usize) -> f64, position: usize) -> f64 {
    const MAX: usize = MAX_INVERTED_SIZE;
    if size == 0 || position >= size * size {
        return f64::NAN;
    }
    if size <= MAX {
        let mut work = [0.0; 2 * MAX * MAX];
        invert_in(&mut work[..2 * size * size], size, element, position)
    } else {
        LARGE_INVERSE_WORK.with_borrow_mut(|work| {
            work.clear();
            work.resize(2 * size * size, 0.0);
            invert_in(work, size, element, position)
        })
    }
}

thread_local! {
    /// The work space of matrices past the stack's size, kept between calls, so that a thread
    /// allocates for one only the first time it inverts a matrix that large.
    static LARGE_INVERSE_WORK: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`inverse_element`] in `work`, `size` rows of `2 × size`: `[A | I]` becomes `[I | A⁻¹]`.
fn invert_in(work: &mut [f64], size: usize, element: impl Fn(usize) -> f64, position: usize) -> f64 {
    let width = 2 * size;
    for r in 0..size {
        for c in 0..size {
            work[r * width + c] = element(r * size + c);
        }
        work[r * width + size + r] = 1.0;
    }
    for column in 0..size {
        let Some(pivot) =
            (column..size).max_by(|&a, &b| work[a * width + column].abs().total_cmp(&work[b * width + column].abs()))
        else {
            return f64::NAN;
        };
        let lead = work[pivot * width + column];
        if lead == 0.0 || !lead.is_finite() {
            return f64::NAN;
        }
        if pivot != column {
            for c in 0..width {
                work.swap(column * width + c, pivot * width + c);
            }
        }
        for cell in &mut work[column * width..(column + 1) * width] {
            *cell /= lead;
        }
        for r in (0..size).filter(|&r| r != column) {
            let factor = work[r * width + column];
            if factor != 0.0 {
                for c in 0..width {
                    work[r * width + c] -= factor * work[column * width + c];
                }
            }
        }
    }
    work[(position / size) * width + size + position % size]
}

/// The rank, from 1, of element `element` of a vector of `length` values: smallest first when
/// `ascending`, else largest first; of equal values the earlier ranks first, so the ranks are a
/// permutation of 1..=length. NaN when the element is NaN.
pub fn rank(length: usize, element: usize, ascending: bool, value: impl Fn(usize) -> f64) -> f64 {
    let own = value(element);
    if own.is_nan() {
        return f64::NAN;
    }
    let before = |other: f64| if ascending { other < own } else { other > own };
    let ahead = (0..length).filter(|&i| before(value(i)) || (i < element && value(i) == own)).count();
    (ahead + 1) as f64
}

/// The 0-based position in the vector of the element that sorts to place `place` (0 for the
/// first), by [`rank`]'s order. NaN when no element has that place (a NaN in the vector).
pub fn sorted_position(length: usize, place: usize, ascending: bool, value: impl Fn(usize) -> f64) -> f64 {
    (0..length).find(|&i| rank(length, i, ascending, &value) == (place + 1) as f64).map_or(f64::NAN, |i| i as f64)
}

/// Stella's `RANK`: the position, from 1, of the element that sorts to place `rank` (rounded;
/// 1 is the smallest) among `length` values in ascending order. Equal values are ordered by
/// their tie-break values, then by position, so each place has exactly one element. NaN when the
/// place is outside 1 to `length` or a value or tie-break value is NaN.
pub fn sorted_index(length: usize, rank: f64, value: impl Fn(usize) -> f64, tie: impl Fn(usize) -> f64) -> f64 {
    let place = rank.round();
    if !(place >= 1.0 && place <= length as f64) || (0..length).any(|i| value(i).is_nan() || tie(i).is_nan()) {
        return f64::NAN;
    }
    let key = |i: usize| (value(i), tie(i), i);
    let comes_before = |a: usize, b: usize| {
        let (a, b) = (key(a), key(b));
        a.0 < b.0 || (a.0 == b.0 && (a.1 < b.1 || (a.1 == b.1 && a.2 < b.2)))
    };
    // The element with exactly place − 1 elements before it; a count, so nothing allocates.
    (0..length)
        .find(|&i| (0..length).filter(|&j| comes_before(j, i)).count() + 1 == place as usize)
        .map_or(f64::NAN, |i| (i + 1) as f64)
}

/// What a queue offers once `after` has been taken from its front: the batches, front first,
/// with `after` taken off the first of them (a batch taken down to a millionth of a millionth of
/// itself is gone, as the queue itself counts it); then the first batch left, or with a `room`,
/// the batches from there on added until the first that would pass the room (a billionth of a
/// millionth of the room is allowed for rounding, so batches that add up to the room exactly
/// fit). Nothing when nothing is left, or the room is not positive or NaN.
pub(crate) fn queue_batches(batches: impl Iterator<Item = f64>, after: f64, room: Option<f64>) -> f64 {
    let mut skip = after.max(0.0);
    let mut left = batches.filter_map(|batch| {
        if skip >= batch * (1.0 - 1e-12) {
            skip = (skip - batch).max(0.0);
            None
        } else {
            let rest = batch - skip;
            skip = 0.0;
            Some(rest)
        }
    });
    let Some(room) = room else { return left.next().unwrap_or(0.0) };
    if room.is_nan() {
        return 0.0;
    }
    let allowed = room + room.abs() * 1e-15;
    let mut taken = 0.0;
    for batch in left {
        let total = taken + batch;
        if total > allowed || total.is_nan() {
            break;
        }
        taken = total;
    }
    taken
}

/// Evaluates a graphical function (XMILE 3.1.4) at one argument. Exact at the points themselves.
/// Each call searches on its own; [`lookup_lanes`] gives the same bits for a whole batch.
#[inline]
pub(crate) fn lookup(table: &Table, x: f64) -> f64 {
    let (xs, ys) = (&table.x, &table.y);
    let last = xs.len() - 1;
    if x.is_nan() {
        return f64::NAN;
    }
    // How many points lie below x: a branch-free count, quick for the short tables models use.
    let below = if last < 32 {
        xs.iter().map(|&point| usize::from(point < x)).sum()
    } else {
        xs.partition_point(|&point| point < x)
    };
    if below == 0 || last == 0 {
        return match table.kind {
            GraphKind::Extrapolate if last > 0 && x < xs[0] => ys[0] + (x - xs[0]) * table.slopes[0],
            _ => ys[0],
        };
    }
    if below > last {
        return match table.kind {
            GraphKind::Extrapolate => ys[last] + (x - xs[last]) * table.slopes[last - 1],
            _ => ys[last],
        };
    }
    // xs[below - 1] < x <= xs[below].
    if xs[below] == x {
        return ys[below];
    }
    let lower = below - 1;
    match table.kind {
        GraphKind::Discrete => ys[lower],
        GraphKind::Continuous | GraphKind::Extrapolate => ys[lower] + (x - xs[lower]) * table.slopes[lower],
    }
}

/// The fewest lanes for which `Search::Count` tables take the sweep: AVX2's four doubles.
const MIN_SWEPT_LANES: usize = 4;

/// Evaluates a graphical function for every lane at once, without branches: short tables by a
/// sweep over their points, longer ones by finding each lane's segment (see `Search`).
#[inline]
pub(crate) fn lookup_lanes<const L: usize>(table: &Table, x: &[f64; L]) -> [f64; L] {
    if L < MIN_SWEPT_LANES && table.search == Search::Count {
        // Fewer lanes than a vector holds (one run): the sweep's selects would not be shared, and
        // the lane's own count and branches cost less.
        return x.map(|x| lookup(table, x));
    }
    let last = table.x.len() - 1;
    let (xs, ys) = (&table.x[..=last], &table.y[..=last]);
    if last == 0 {
        return x.map(|x| if x.is_nan() { f64::NAN } else { ys[0] });
    }
    let slopes = &table.slopes[..last];
    // Each lane's inside value: exact at the point where x <= xs[k] first holds, else a step or
    // a line from the last point below x. Lanes outside the table take an end's value below.
    let mut inside = [0.0; L];
    match table.search {
        Search::Count if table.exact_at_points => {
            sweep_to_points(xs, ys, slopes, table.kind == GraphKind::Discrete, x, &mut inside)
        }
        Search::Count => sweep(xs, ys, slopes, table.kind == GraphKind::Discrete, x, &mut inside),
        Search::Even { start, scale } => {
            for (inside, &x) in inside.iter_mut().zip(x) {
                let j = even_segment(xs, start, scale, x);
                *inside = inside_value(table.kind, xs, ys, slopes, j, x);
            }
        }
        Search::Direct { .. } if L >= MIN_SWEPT_LANES && xs.len() < SWEPT_DIRECT_POINTS => {
            sweep_to_points(xs, ys, slopes, table.kind == GraphKind::Discrete, x, &mut inside)
        }
        Search::Direct { start, scale } => {
            direct(&table.neighbours, start, scale, table.kind == GraphKind::Discrete, x, &mut inside);
            let (last_x, last_y) = (xs[last], ys[last]);
            for (inside, &x) in inside.iter_mut().zip(x) {
                *inside = if x == last_x { last_y } else { *inside };
            }
        }
        Search::Bisect => {
            for (inside, &x) in inside.iter_mut().zip(x) {
                let j = xs.partition_point(|&point| point < x).saturating_sub(1).min(last - 1);
                *inside = inside_value(table.kind, xs, ys, slopes, j, x);
            }
        }
        Search::Unordered => return x.map(|x| lookup(table, x)),
    }
    let extrapolate = table.kind == GraphKind::Extrapolate;
    let (first_x, first_y, first_slope) = (xs[0], ys[0], slopes[0]);
    let (last_x, last_y, last_slope) = (xs[last], ys[last], slopes[last - 1]);
    let mut answer = [0.0; L];
    for ((answer, &x), &inside) in answer.iter_mut().zip(x).zip(&inside) {
        // Beyond the ends: the end values, or the end segments extended.
        let before = if extrapolate && x < first_x { first_y + (x - first_x) * first_slope } else { first_y };
        let after = if extrapolate { last_y + (x - last_x) * last_slope } else { last_y };
        let value = if x <= first_x {
            before
        } else if x > last_x {
            after
        } else {
            inside
        };
        *answer = if x.is_nan() { f64::NAN } else { value };
    }
    answer
}

/// The value inside the table at `x` from its segment j (xs[j] < x <= xs[j + 1]): exact at the
/// upper point, else a step or a line from the lower one.
#[inline(always)]
fn inside_value(kind: GraphKind, xs: &[f64], ys: &[f64], slopes: &[f64], j: usize, x: f64) -> f64 {
    let line = if kind == GraphKind::Discrete { ys[j] } else { ys[j] + (x - xs[j]) * slopes[j] };
    if x == xs[j + 1] { ys[j + 1] } else { line }
}

/// `Search::Count`'s inside values: one pass up the points keeps, per lane, the last point
/// below x (its x, y and slope), and one pass down keeps the first point equal to x. Every
/// step is a compare and selects over all lanes, which vectorize; no lane searches on its own.
#[inline(always)]
fn sweep<const L: usize>(xs: &[f64], ys: &[f64], slopes: &[f64], discrete: bool, x: &[f64; L], inside: &mut [f64; L]) {
    let (mut low_x, mut low_y, mut low_slope) = ([xs[0]; L], [ys[0]; L], [slopes[0]; L]);
    for ((&point, &y), &slope) in xs.iter().zip(ys).zip(slopes) {
        for lane in 0..L {
            let below = point < x[lane];
            low_x[lane] = if below { point } else { low_x[lane] };
            low_y[lane] = if below { y } else { low_y[lane] };
            low_slope[lane] = if below { slope } else { low_slope[lane] };
        }
    }
    for lane in 0..L {
        inside[lane] = if discrete { low_y[lane] } else { low_y[lane] + (x[lane] - low_x[lane]) * low_slope[lane] };
    }
    for (&point, &y) in xs.iter().zip(ys).rev() {
        for lane in 0..L {
            inside[lane] = if x[lane] == point { y } else { inside[lane] };
        }
    }
}

/// `Search::Count`'s inside values for a table that is exact at its points
/// (`Table::exact_at_points`), in one pass: it keeps, per lane, the last point at or below x
/// (not strictly below, as `sweep` does), so that at a point the segment that starts there gives
/// the point's value to the bit and the pass down for equal points is not needed; only the last
/// point, which starts no segment, is compared on its own. Inside the table this is `sweep`'s
/// answer: between points the same segment and expression, at a point its value (the only point
/// equal to x, the points being strictly increasing). Lanes at or before the first point or
/// beyond the last, or NaN, get some value that the caller replaces.
#[inline(always)]
fn sweep_to_points<const L: usize>(
    xs: &[f64],
    ys: &[f64],
    slopes: &[f64],
    discrete: bool,
    x: &[f64; L],
    inside: &mut [f64; L],
) {
    let (mut low_x, mut low_y, mut low_slope) = ([xs[0]; L], [ys[0]; L], [slopes[0]; L]);
    for ((&point, &y), &slope) in xs.iter().zip(ys).zip(slopes) {
        for lane in 0..L {
            let reached = point <= x[lane];
            low_x[lane] = if reached { point } else { low_x[lane] };
            low_y[lane] = if reached { y } else { low_y[lane] };
            low_slope[lane] = if reached { slope } else { low_slope[lane] };
        }
    }
    let (last_x, last_y) = (xs[xs.len() - 1], ys[ys.len() - 1]);
    for lane in 0..L {
        let line = if discrete { low_y[lane] } else { low_y[lane] + (x[lane] - low_x[lane]) * low_slope[lane] };
        inside[lane] = if x[lane] == last_x { last_y } else { line };
    }
}

/// `Search::Direct`'s inside values: each lane's guess (computed for all lanes first, which
/// vectorizes) reads one record of three neighbouring segments, and two compares with the guessed
/// segment's ends pick the one whose start is the last point at or below x. Inside the table
/// that is the segment `sweep_to_points` keeps, and the same expression, so the same bits; at
/// the last point, or at or before the first, or beyond the last, or NaN, the value is some
/// value that the caller replaces.
#[inline(always)]
fn direct<const L: usize>(
    neighbours: &[[f64; 9]],
    start: f64,
    scale: f64,
    discrete: bool,
    x: &[f64; L],
    inside: &mut [f64; L],
) {
    let mut guesses = [0usize; L];
    for (guess, &x) in guesses.iter_mut().zip(x) {
        *guess = Table::guess_segment(start, scale, neighbours.len(), x);
    }
    for ((inside, &x), &guess) in inside.iter_mut().zip(x).zip(&guesses) {
        let Some(record) = neighbours.get(guess) else { continue };
        // The record's first, second or third segment, as an offset into it.
        let pick = if x < record[3] {
            0
        } else if x >= record[6] {
            6
        } else {
            3
        };
        let (low_x, low_y, low_slope) = (record[pick], record[pick + 1], record[pick + 2]);
        *inside = if discrete { low_y } else { low_y + (x - low_x) * low_slope };
    }
}

/// The segment of the evenly spaced points `xs` that holds `x` (see `Search::Even`): j with
/// xs[j] < x <= xs[j + 1] when `x` lies in (xs[0], xs[last]], some segment otherwise.
#[inline(always)]
fn even_segment(xs: &[f64], start: f64, scale: f64, x: f64) -> usize {
    let last = xs.len() - 1;
    // The guess is within one segment of the answer when x is inside the table: one too high
    // only when j >= 1, one too low only when j + 1 < last.
    let j = Table::guess_segment(start, scale, last, x).min(last - 1);
    let j = j - usize::from(j > 0 && x <= xs[j]);
    (j + usize::from(x > xs[j + 1])).min(last - 1)
}

/// Turns a standard variate (uniform on [0, 1), or standard normal) into a draw.
pub fn random(distribution: Distribution, variate: f64, p: f64, q: f64) -> f64 {
    match distribution {
        Distribution::Uniform => p + (q - p) * variate,
        Distribution::Normal => p + q * variate,
        Distribution::LogNormal => {
            // p and q are the mean and standard deviation of the variable itself.
            if p <= 0.0 || q < 0.0 {
                return f64::NAN;
            }
            let sigma_squared = (1.0 + (q / p) * (q / p)).ln();
            let mu = p.ln() - sigma_squared / 2.0;
            (mu + sigma_squared.sqrt() * variate).exp()
        }
        Distribution::Exponential => -p * (1.0 - variate).ln(),
        Distribution::Poisson => poisson_quantile(variate, p),
        // Drawn by `truncated`, which takes more arguments.
        Distribution::Truncated(_) => f64::NAN,
    }
}

/// Most arguments a draw of [`truncated`] reads: min, max, shift, stretch and three parameters.
pub const MAX_TRUNCATED_ARGS: usize = 7;

/// How many draws [`truncated`] makes before it gives up on finding one in `[min, max]`.
const TRUNCATION_ATTEMPTS: usize = 10_000;

/// A draw of one of Vensim's RANDOM functions. `args` is `[min, max, shift, stretch,
/// parameters...]`; the draw `X` of the family becomes `shift + stretch * X`, and is drawn again
/// until it lies in `[min, max]` (truncation). `variate`, this step's uniform number for the call,
/// seeds the draws, so every Runge-Kutta stage of a step sees the same value and a run's values
/// follow from its stream. NaN (which stops the run) when the parameters are invalid, when
/// `min > max`, or when no draw lands in `[min, max]` in 10,000 tries.
pub fn truncated(family: Family, variate: f64, args: &[f64]) -> f64 {
    let arg = |index: usize| args.get(index).copied().unwrap_or(f64::NAN);
    let (min, max, shift, stretch) = (arg(0), arg(1), arg(2), arg(3));
    if min.is_nan() || max.is_nan() || min > max {
        return f64::NAN;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(variate.to_bits());
    for _ in 0..TRUNCATION_ATTEMPTS {
        let Some(x) = sample_family(family, [arg(4), arg(5), arg(6)], &mut rng) else { return f64::NAN };
        let value = shift + stretch * x;
        if value.is_nan() {
            return f64::NAN;
        }
        if (min..=max).contains(&value) {
            return value;
        }
    }
    f64::NAN
}

/// One draw of the family before it is stretched and shifted; None for invalid parameters.
fn sample_family(family: Family, parameters: [f64; 3], rng: &mut ChaCha8Rng) -> Option<f64> {
    let [a, b, c] = parameters;
    let whole = |n: f64| (0.0..9_007_199_254_740_992.0).contains(&n.round()).then(|| n.round());
    let value = match family {
        Family::Normal => rng.sample(StandardNormal),
        Family::Exponential => rng.sample(Exp1),
        Family::Gamma => Gamma::new(a, 1.0).ok()?.sample(rng),
        Family::Weibull => Weibull::new(1.0, a).ok()?.sample(rng),
        Family::Beta => Beta::new(a, b).ok()?.sample(rng),
        // Start, peak and end.
        Family::Triangular => Triangular::new(a, c, b).ok()?.sample(rng),
        Family::Poisson => poisson_draw(a, rng)?,
        Family::Binomial => Binomial::new(whole(b)? as u64, a).ok()?.sample(rng) as f64,
        Family::NegativeBinomial => {
            // Trials for n successes: n plus the failures, which are Poisson with a gamma mean
            // of shape n and scale (1 - p) / p.
            let successes = whole(b)?;
            if !(a > 0.0 && a <= 1.0) {
                return None;
            }
            if a == 1.0 || successes == 0.0 {
                return Some(successes);
            }
            let mean_failures = Gamma::new(successes, (1.0 - a) / a).ok()?.sample(rng);
            successes + poisson_draw(mean_failures, rng)?
        }
        Family::LogNormal => {
            // a and b are the mean and standard deviation of the variable itself.
            let variate: f64 = rng.sample(StandardNormal);
            random(Distribution::LogNormal, variate, a, b)
        }
        Family::Geometric => {
            // Failures before the first success, by inversion: the whole part of
            // ln(u) / ln(1 - p) for u uniform on (0, 1).
            if !(a > 0.0 && a <= 1.0) {
                return None;
            }
            if a == 1.0 {
                return Some(0.0);
            }
            let u: f64 = rng.sample(Open01);
            (u.ln() / (-a).ln_1p()).floor()
        }
        Family::Logistic => {
            let u: f64 = rng.sample(Open01);
            (u / (1.0 - u)).ln()
        }
        Family::Pareto => {
            if a.is_nan() || a <= 0.0 {
                return None;
            }
            let u: f64 = rng.sample(Open01);
            u.powf(-1.0 / a)
        }
    };
    Some(value)
}

/// A Poisson count of mean `mean` (0 for a mean of 0); None for a negative or non-finite mean.
fn poisson_draw(mean: f64, rng: &mut ChaCha8Rng) -> Option<f64> {
    if mean == 0.0 {
        return Some(0.0);
    }
    Poisson::new(mean).ok().map(|poisson| poisson.sample(rng))
}

/// The area under a graphical function from `from` to `to`, read as [`lookup`] reads it:
/// between points as the table's kind says, and beyond its ends flat (or extended, for an
/// extrapolating table). Negative when `to < from`. Exact: the function is linear or constant
/// between consecutive points, where the midpoint rule is exact.
pub(crate) fn lookup_area(table: &Table, from: f64, to: f64) -> f64 {
    if from.is_nan() || to.is_nan() {
        return f64::NAN;
    }
    let (low, high, sign) = if from <= to { (from, to, 1.0) } else { (to, from, -1.0) };
    let mut area = 0.0;
    let mut left = low;
    let inside = table.x.iter().copied().filter(|&x| x > low && x < high);
    for right in inside.chain(std::iter::once(high)) {
        if right > left {
            area += lookup(table, 0.5 * (left + right)) * (right - left);
        }
        left = right;
    }
    sign * area
}

/// Vensim's `RANDOM LOOKUP`: `shift + stretch × X`, where X has the graph as its probability
/// density between the graph's first and last points (no density outside them), scaled to a
/// total of 1, and the result is truncated to `[min, max]`. The truncation is exact: `u`, uniform
/// in [0, 1), is mapped into the part of the cumulative distribution whose values land in
/// `[min, max]`, and the distribution is inverted there (so one uniform number makes one draw,
/// distributed as redrawing until the value lands would make it). Between points the density is
/// read as the graph reads (linearly, or held for a step graph). NaN when the graph has a negative
/// or NaN value, when no part of the density lands in `[min, max]`, or when `min > max`.
pub(crate) fn random_lookup(table: &Table, u: f64, min: f64, max: f64, shift: f64, stretch: f64) -> f64 {
    let (xs, ys) = (&table.x, &table.y);
    if [u, min, max, shift, stretch].iter().any(|v| v.is_nan())
        || min > max
        || ys.iter().any(|&y| y.is_nan() || y < 0.0)
    {
        return f64::NAN;
    }
    if stretch == 0.0 {
        return if (min..=max).contains(&shift) { shift } else { f64::NAN };
    }
    let (low, high) = {
        let (a, b) = ((min - shift) / stretch, (max - shift) / stretch);
        (a.min(b).max(xs[0]), a.max(b).min(xs[xs.len() - 1]))
    };
    if low > high {
        return f64::NAN;
    }
    // Segment i runs from xs[i] to xs[i + 1]; its density is `left + slope × t` at `t` past xs[i].
    let segment = |i: usize| {
        let width = xs[i + 1] - xs[i];
        let left = ys[i];
        let right = if table.kind == GraphKind::Discrete { ys[i] } else { ys[i + 1] };
        let slope = if width > 0.0 { (right - left) / width } else { 0.0 };
        (width, left, slope)
    };
    let partial = |left: f64, slope: f64, t: f64| left * t + 0.5 * slope * t * t;
    // The mass below x.
    let cumulative = |x: f64| {
        let mut total = 0.0;
        for i in 0..xs.len() - 1 {
            let (width, left, slope) = segment(i);
            if x >= xs[i + 1] {
                total += partial(left, slope, width);
            } else {
                if x > xs[i] {
                    total += partial(left, slope, x - xs[i]);
                }
                break;
            }
        }
        total
    };
    let (from, to) = (cumulative(low), cumulative(high));
    if to <= from || to.is_nan() {
        return f64::NAN;
    }
    let mut target = from + u * (to - from);
    let mut x = high;
    for i in 0..xs.len() - 1 {
        let (width, left, slope) = segment(i);
        let mass = partial(left, slope, width);
        if target <= mass && mass > 0.0 {
            // left × t + slope × t² / 2 = target, in the form without cancellation.
            let root = (left * left + 2.0 * slope * target).max(0.0).sqrt();
            let t = if left + root > 0.0 { 2.0 * target / (left + root) } else { 0.0 };
            x = xs[i] + t.clamp(0.0, width);
            break;
        }
        target -= mass;
    }
    shift + stretch * x.clamp(low, high)
}

/// The smallest k with P(X <= k) > u for X ~ Poisson(mean): inversion, so one uniform per draw.
///
/// Starts at the mode and walks the cumulative distribution, so the work grows with the
/// standard deviation rather than the mean, and `exp(-mean)` never underflows.
pub fn poisson_quantile(u: f64, mean: f64) -> f64 {
    if mean.is_nan() || mean < 0.0 || mean.is_infinite() {
        return f64::NAN;
    }
    if mean == 0.0 {
        return 0.0;
    }
    let mode = mean.floor();
    let mode_probability = (mode * mean.ln() - mean - ln_factorial(mode)).exp();
    // P(X <= mode), summing down from the mode until the terms no longer matter.
    let mut cumulative = 0.0;
    let mut term = mode_probability;
    let mut k = mode;
    loop {
        cumulative += term;
        if k == 0.0 || term < cumulative * 1e-17 {
            break;
        }
        term *= k / mean;
        k -= 1.0;
    }
    let mut k = mode;
    let mut probability = mode_probability;
    if u < cumulative {
        // Walk down while the value below still covers u.
        while k > 0.0 && u < cumulative - probability {
            cumulative -= probability;
            probability *= k / mean;
            k -= 1.0;
        }
        k
    } else {
        while u >= cumulative && probability > 0.0 {
            k += 1.0;
            probability *= mean / k;
            cumulative += probability;
        }
        k
    }
}

/// ln(k!) for whole k ≥ 0: exact sums for small k, Stirling's series beyond.
fn ln_factorial(k: f64) -> f64 {
    if k < 20.0 {
        let mut sum = 0.0;
        let mut i = 2.0;
        while i <= k {
            sum += f64::ln(i);
            i += 1.0;
        }
        return sum;
    }
    let k2 = k * k;
    k * k.ln() - k + 0.5 * (2.0 * std::f64::consts::PI * k).ln() + 1.0 / (12.0 * k) - 1.0 / (360.0 * k2 * k)
        + 1.0 / (1260.0 * k2 * k2 * k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn table(kind: GraphKind, x: &[f64], y: &[f64]) -> Table {
        Table::new(kind, x.to_vec(), y.to_vec())
    }

    #[test]
    fn whole_batches_are_taken_from_the_front_until_one_does_not_fit() {
        let take = |batches: &[f64], room: f64| queue_batches(batches.iter().copied(), 0.0, Some(room));
        // 4 fits in 6; 4 + 3 does not, and the 2 behind the 3 waits its turn.
        assert_eq!(take(&[4.0, 3.0, 2.0], 6.0), 4.0);
        assert_eq!(take(&[3.0, 2.0, 3.0, 2.0], 6.0), 5.0);
        // Exactly the room, with the rounding of tenths.
        assert_eq!(take(&[0.1, 0.2, 0.3], 0.6), 0.1 + 0.2 + 0.3);
        assert_eq!(take(&[7.0, 1.0], 6.0), 0.0);
        assert_eq!(take(&[], 6.0), 0.0);
        assert_eq!(take(&[1.0], 0.0), 0.0);
        assert_eq!(take(&[1.0], f64::NAN), 0.0);
        assert_eq!(take(&[1.0, 2.0], f64::INFINITY), 3.0);
    }

    #[test]
    fn what_a_queue_offers_after_its_front_was_partly_taken() {
        let batches = [6.0, 3.0, 2.0];
        let offer = |after: f64, room: Option<f64>| queue_batches(batches.iter().copied(), after, room);
        // Nothing taken: the front batch; 4 taken: the 2 left of it; 6 taken: the next batch,
        // also when rounding left a crumb of the first; everything taken: nothing.
        assert_eq!(offer(0.0, None), 6.0);
        assert_eq!(offer(4.0, None), 2.0);
        assert_eq!(offer(6.0, None), 3.0);
        assert_eq!(offer(6.0 - 1e-15, None), 3.0);
        assert_eq!(offer(11.0, None), 0.0);
        // Whole batches from the cut: the 2 left, then the 3 (5 in 5.5), not the 2 after them.
        assert_eq!(offer(4.0, Some(5.5)), 5.0);
        assert_eq!(offer(9.0, Some(5.5)), 2.0);
    }

    #[test]
    fn random_lookup_inverts_the_graphs_cumulative_distribution() {
        let rising = table(GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0]);
        let falling = table(GraphKind::Continuous, &[0.0, 1.0, 2.0], &[10.0, 5.0, 0.0]);
        let steps = table(GraphKind::Discrete, &[0.0, 1.0, 3.0], &[2.0, 4.0, 4.0]);
        let wide = (-1e9, 1e9);
        let cases = [
            // Density x / 50 on [0, 10]: P(X <= x) = x² / 100, so X = 10 √u.
            (&rising, 0.25, wide, 0.0, 1.0, 5.0),
            (&rising, 0.81, wide, 0.0, 1.0, 9.0),
            (&rising, 0.0, wide, 0.0, 1.0, 0.0),
            // Stretched by 2 and shifted by 1.
            (&rising, 0.25, wide, 1.0, 2.0, 11.0),
            // Truncated to [0, 5], a quarter of the mass: u = 0.5 is P = 0.125, X = 10 √0.125.
            (&rising, 0.5, (0.0, 5.0), 0.0, 1.0, 10.0 * 0.125f64.sqrt()),
            // Density 10 - 5x, total 10: half the mass where 10t - 2.5t² = 5, t = 2 - √2.
            (&falling, 0.5, wide, 0.0, 1.0, 2.0 - 2f64.sqrt()),
            // Stretch -1 and [-1.5, 0]: X kept in [0, 1.5], whose mass is 9.375; u = 0 is X = 0.
            (&falling, 0.0, (-1.5, 0.0), 0.0, -1.0, 0.0),
            // u = 0.9 is mass 8.4375: 7.5 below 1, then 5t - 2.5t² = 0.9375, t = 1 - √0.625.
            (&falling, 0.9, (-1.5, 0.0), 0.0, -1.0, -(2.0 - 0.625f64.sqrt())),
            // A step graph: density 2 on [0, 1), 4 on [1, 3), total 10.
            (&steps, 0.1, wide, 0.0, 1.0, 0.5),
            (&steps, 0.6, wide, 0.0, 1.0, 2.0),
            // No stretch: the shift, when it is in range.
            (&rising, 0.3, wide, 4.0, 0.0, 4.0),
        ];
        for (graph, u, (min, max), shift, stretch, expected) in cases {
            let actual = random_lookup(graph, u, min, max, shift, stretch);
            assert_relative_eq!(actual, expected, max_relative = 1e-12, epsilon = 1e-12);
        }
        // No mass in [min, max], min above max, a negative density: NaN, which stops the run.
        assert!(random_lookup(&rising, 0.5, -5.0, 0.0, 0.0, 1.0).is_nan());
        assert!(random_lookup(&rising, 0.5, 20.0, 30.0, 0.0, 1.0).is_nan());
        assert!(random_lookup(&rising, 0.5, 5.0, 1.0, 0.0, 1.0).is_nan());
        assert!(random_lookup(&rising, 0.5, wide.0, wide.1, 9.0, 0.0).is_finite());
        assert!(random_lookup(&rising, 0.5, 0.0, 1.0, 9.0, 0.0).is_nan());
        let negative = table(GraphKind::Continuous, &[0.0, 1.0], &[1.0, -1.0]);
        assert!(random_lookup(&negative, 0.5, wide.0, wide.1, 0.0, 1.0).is_nan());
    }

    #[test]
    fn graphical_functions_by_kind() {
        let x = [0.0, 1.0, 2.0];
        let y = [0.0, 10.0, 30.0];
        let continuous = table(GraphKind::Continuous, &x, &y);
        let extrapolate = table(GraphKind::Extrapolate, &x, &y);
        let discrete = table(GraphKind::Discrete, &x, &[0.0, 10.0, 10.0]);
        let cases = [
            (&continuous, -1.0, 0.0),
            (&continuous, 0.5, 5.0),
            (&continuous, 1.0, 10.0),
            (&continuous, 1.5, 20.0),
            (&continuous, 3.0, 30.0),
            (&extrapolate, -1.0, -10.0),
            (&extrapolate, 3.0, 50.0),
            (&extrapolate, 1.25, 15.0),
            (&discrete, -1.0, 0.0),
            (&discrete, 0.5, 0.0),
            (&discrete, 1.0, 10.0),
            (&discrete, 1.999, 10.0),
            (&discrete, 5.0, 10.0),
        ];
        for (table, input, expected) in cases {
            assert_eq!(lookup(table, input), expected, "{:?} at {input}", table.kind);
        }
        let single = table(GraphKind::Extrapolate, &[2.0], &[7.0]);
        assert_eq!(lookup(&single, -100.0), 7.0);
        assert_eq!(lookup(&single, 100.0), 7.0);
        // Long tables take the binary search; the answers are the same.
        let xs: Vec<f64> = (0..100).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| x * x).collect();
        let long = table(GraphKind::Continuous, &xs, &ys);
        assert_eq!(lookup(&long, 7.0), 49.0);
        assert_eq!(lookup(&long, 7.5), 49.0 + 0.5 * 15.0);
        assert_eq!(lookup(&long, 200.0), 99.0 * 99.0);
        assert!(lookup(&continuous, f64::NAN).is_nan());
    }

    #[test]
    fn modulo_is_floored() {
        assert_eq!(floored_mod(7.0, 3.0), 1.0);
        assert_eq!(floored_mod(-7.0, 3.0), 2.0);
        assert_eq!(floored_mod(7.0, -3.0), -2.0);
        assert_eq!(floored_mod(-7.0, -3.0), -1.0);
        assert!(floored_mod(1.0, 0.0).is_nan());
    }

    #[test]
    fn test_inputs_switch_at_the_nearest_step() {
        // dt = 0.25: STEP(5, 1) is on from t = 1; an off-grid start rounds to the nearest step.
        assert_eq!(step(0.75, 0.25, 5.0, 1.0), 0.0);
        assert_eq!(step(1.0, 0.25, 5.0, 1.0), 5.0);
        assert_eq!(step(1.0, 0.25, 5.0, 1.1), 5.0);
        assert_eq!(step(1.0, 0.25, 5.0, 1.2), 0.0);
        assert_eq!(ramp(1.0, 2.0, 1.0, f64::INFINITY), 0.0);
        assert_eq!(ramp(3.5, 2.0, 1.0, f64::INFINITY), 5.0);
        assert_eq!(ramp(3.5, 2.0, 1.0, 2.0), 2.0);
        // PULSE(20, 12, 5) with dt = 0.5: 40 at 12, 17, 22; zero between.
        let fires: Vec<f64> =
            (0..60).map(|n| n as f64 * 0.5).filter(|&t| pulse(t, 0.5, 20.0, 12.0, 5.0) != 0.0).collect();
        assert_eq!(fires, [12.0, 17.0, 22.0, 27.0]);
        assert_eq!(pulse(12.0, 0.5, 20.0, 12.0, 5.0), 40.0);
        let once: Vec<f64> = (0..60).map(|n| n as f64 * 0.5).filter(|&t| pulse(t, 0.5, 1.0, 3.0, 0.0) != 0.0).collect();
        assert_eq!(once, [3.0]);
        // At the start time itself.
        assert_eq!(pulse(0.0, 1.0, 3.0, 0.0, 0.0), 3.0);
    }

    #[test]
    fn pulse_train_follows_vensims_rules() {
        // PULSE TRAIN(10, 1, 5, 30) with dt = 0.25 (SDEverywhere's pulsetrain model, whose
        // Vensim output is 1 from 10 to 10.75, 15 to 15.75, 20 to 20.75, 25 to 25.75 and at 30).
        let on: Vec<f64> =
            (0..=160).map(|n| n as f64 * 0.25).filter(|&t| pulse_train(t, 0.25, 10.0, 1.0, 5.0, 30.0) == 1.0).collect();
        let mut expected = Vec::new();
        for first in [10.0, 15.0, 20.0, 25.0] {
            expected.extend([first, first + 0.25, first + 0.5, first + 0.75]);
        }
        expected.push(30.0);
        assert_eq!(on, expected);
        // A width under one step still lasts one step; pulses closer than their width merge.
        assert_eq!(pulse_train(2.0, 1.0, 2.0, 0.0, 3.0, 10.0), 1.0);
        assert_eq!(pulse_train(3.0, 1.0, 2.0, 0.0, 3.0, 10.0), 0.0);
        assert_eq!(pulse_train(5.0, 1.0, 2.0, 0.0, 3.0, 10.0), 1.0);
        assert!((0..=20).all(|t| pulse_train(f64::from(t), 1.0, 2.0, 4.0, 3.0, 10.0) == truth((2..=10).contains(&t))));
        // Before the start and after the end: 0.
        assert_eq!(pulse_train(1.0, 1.0, 2.0, 5.0, 10.0, 20.0), 0.0);
        assert_eq!(pulse_train(21.0, 1.0, 2.0, 50.0, 10.0, 20.0), 0.0);
    }

    #[test]
    fn vector_select_by_action() {
        let selection = [0.0, 2.0, 0.0, 1.0];
        let values = [5.0, 3.0, 7.0, 4.0];
        let select = |action: f64, error: f64| vector_select(4, |i| selection[i], |i| values[i], -1.0, action, error);
        let expected = [10.0, 24.0, 4.0, 6.0, 5.0, 36.0, 7.0, 12.0, 3.0, 4.0, 3.5];
        for (action, value) in expected.iter().enumerate() {
            assert_eq!(select(action as f64, 0.0), *value, "action {action}");
        }
        assert!(select(2.0, 2.0).is_nan());
        assert_eq!(select(2.0, 1.0), 4.0);
        assert!(select(11.0, 0.0).is_nan());
        assert!(select(1.5, 0.0).is_nan());
        assert!(select(0.0, 4.0).is_nan());
        let none = |error: f64| vector_select(2, |_| 0.0, |i| values[i], -1.0, 3.0, error);
        assert_eq!(none(0.0), -1.0);
        assert_eq!(none(2.0), -1.0);
        assert!(none(1.0).is_nan());
        assert!(none(3.0).is_nan());
    }

    #[test]
    fn ranks_and_sort_orders_follow_vensims_examples() {
        // VECTOR RANK's documentation: revenue 5000, 3000, 8000 ranks 2, 1, 3.
        let revenue = [5000.0, 3000.0, 8000.0];
        let ranks: Vec<f64> = (0..3).map(|i| rank(3, i, true, |j| revenue[j])).collect();
        assert_eq!(ranks, [2.0, 1.0, 3.0]);
        let descending: Vec<f64> = (0..3).map(|i| rank(3, i, false, |j| revenue[j])).collect();
        assert_eq!(descending, [2.0, 3.0, 1.0]);
        // VECTOR SORT ORDER gives 0-based positions: the smallest is element 1, then 0, then 2.
        let order: Vec<f64> = (0..3).map(|p| sorted_position(3, p, true, |j| revenue[j])).collect();
        assert_eq!(order, [1.0, 0.0, 2.0]);
        // Ties keep their order, so ranks stay a permutation.
        let tied = [4.0, 1.0, 4.0, 1.0];
        let ranks: Vec<f64> = (0..4).map(|i| rank(4, i, true, |j| tied[j])).collect();
        assert_eq!(ranks, [3.0, 1.0, 4.0, 2.0]);
        let order: Vec<f64> = (0..4).map(|p| sorted_position(4, p, false, |j| tied[j])).collect();
        assert_eq!(order, [0.0, 2.0, 1.0, 3.0]);
        assert!(rank(2, 0, true, |j| [f64::NAN, 1.0][j]).is_nan());
        assert!(sorted_position(2, 1, true, |j| [f64::NAN, 1.0][j]).is_nan());
    }

    #[test]
    fn quantum_truncates_toward_zero() {
        // The examples of Vensim's documentation.
        let cases = [
            (1.9, 1.0, 1.0),
            (0.9, 1.0, 0.0),
            (-0.9, 1.0, 0.0),
            (-1.9, 1.0, -1.0),
            (112.3, 10.0, 110.0),
            (50.0, 12.0, 48.0),
            (423.0, 63.0, 378.0),
            (3.456, 1.0, 3.0),
            (7.5, 0.0, 7.5),
            (7.5, -2.0, 7.5),
        ];
        for (x, q, expected) in cases {
            assert_eq!(quantum(x, q), expected, "QUANTUM({x}, {q})");
        }
    }

    #[test]
    fn gamma_ln_at_known_values() {
        let factorial = |n: u32| (1..=n).map(f64::from).product::<f64>();
        for n in 1..=20 {
            // Γ(n) = (n - 1)!
            assert_relative_eq!(gamma_ln(f64::from(n)), factorial(n - 1).ln(), epsilon = 1e-13, max_relative = 1e-14);
        }
        let sqrt_pi_ln = 0.5 * std::f64::consts::PI.ln();
        assert_relative_eq!(gamma_ln(0.5), sqrt_pi_ln, epsilon = 1e-14);
        // Γ(-1/2) = -2 √π, Γ(3/2) = √π / 2.
        assert_relative_eq!(gamma_ln(-0.5), (2.0f64).ln() + sqrt_pi_ln, epsilon = 1e-13);
        assert_relative_eq!(gamma_ln(1.5), sqrt_pi_ln - (2.0f64).ln(), epsilon = 1e-14);
        // Stirling's series is accurate far out: ln Γ(1000) = ln 999!.
        let ln_999_factorial: f64 = (2..1000).map(|i| f64::from(i).ln()).sum();
        assert_relative_eq!(gamma_ln(1000.0), ln_999_factorial, max_relative = 1e-13);
        assert_eq!(gamma_ln(0.0), f64::INFINITY);
        assert_eq!(gamma_ln(-3.0), f64::INFINITY);
        assert!(gamma_ln(f64::NAN).is_nan());
    }

    proptest::proptest! {
        /// Γ(x + 1) = x Γ(x), so ln Γ(x + 1) - ln Γ(x) = ln x, on both sides of the reflection.
        #[test]
        fn gamma_ln_satisfies_its_recurrence(x in 0.01f64..150.0) {
            let difference = gamma_ln(x + 1.0) - gamma_ln(x);
            proptest::prop_assert!((difference - x.ln()).abs() <= 1e-12 * gamma_ln(x + 1.0).abs().max(1.0));
        }
    }

    #[test]
    fn approximate_equality_forgives_rounding_only() {
        assert!(approx_eq(0.1 * 3.0, 0.3));
        assert!(!approx_eq(0.3, 0.3000001));
        assert!(approx_eq(0.0, 0.0));
        assert!(!approx_eq(0.0, 1e-300));
    }

    #[test]
    fn random_transforms() {
        assert_eq!(random(Distribution::Uniform, 0.25, 10.0, 20.0), 12.5);
        assert_eq!(random(Distribution::Normal, -1.5, 100.0, 10.0), 85.0);
        assert_relative_eq!(random(Distribution::Exponential, 1.0 - (-1.0f64).exp(), 8.0, 8.0), 8.0, epsilon = 1e-12);
        // The median of a lognormal with mean m and sd s is m / sqrt(1 + s²/m²).
        assert_relative_eq!(random(Distribution::LogNormal, 0.0, 10.0, 1.0), 10.0 / (1.01f64).sqrt(), epsilon = 1e-12);
        assert!(random(Distribution::LogNormal, 0.0, -1.0, 1.0).is_nan());
    }

    #[test]
    fn poisson_inversion_matches_the_distribution() {
        for mean in [0.5, 3.0, 12.0, 150.0, 2500.0] {
            // The quantile at P(X <= k) - tiny is k, and just above it is k + 1.
            let mut cumulative = 0.0;
            let mut k = 0.0;
            while cumulative < 0.999 {
                let probability = (k * f64::ln(mean) - mean - ln_factorial(k)).exp();
                cumulative += probability;
                if probability > 1e-6 {
                    assert_eq!(poisson_quantile(cumulative - probability * 0.5, mean), k, "mean {mean}, k {k}");
                }
                k += 1.0;
            }
        }
        assert_eq!(poisson_quantile(0.3, 0.0), 0.0);
        assert!(poisson_quantile(0.3, -1.0).is_nan());
    }

    #[test]
    fn ln_factorial_is_accurate_both_sides_of_the_switch() {
        let exact: f64 = (2..=25).map(|i| (i as f64).ln()).sum();
        assert_relative_eq!(ln_factorial(25.0), exact, max_relative = 1e-14);
        assert_relative_eq!(ln_factorial(19.0), (2..=19).map(|i| (i as f64).ln()).sum::<f64>(), max_relative = 1e-14);
    }

    fn shares(rule: AllocationRule, requests: &[f64], priorities: &[f64], width: f64, supply: f64) -> Vec<f64> {
        let (request, priority) = (|i: usize| requests[i], |i: usize| priorities.get(i).copied().unwrap_or(f64::NAN));
        (0..requests.len()).map(|i| allocate(rule, requests.len(), request, priority, width, supply, i)).collect()
    }

    /// Priorities 10, 9, 7, 2 with width 3: the first is served alone until the second's priority
    /// comes within reach, then both in proportion to their requests, and so on (worked by hand
    /// from the rectangular curves).
    #[test]
    fn allocate_by_priority_serves_higher_priorities_first_and_shares_within_the_width() {
        let (requests, priorities) = ([3.0, 6.0, 2.5, 2.0], [10.0, 9.0, 7.0, 2.0]);
        let by_priority = |supply| shares(AllocationRule::ByPriority, &requests, &priorities, 3.0, supply);
        for (got, want) in by_priority(5.0).iter().zip([7.0 / 3.0, 8.0 / 3.0, 0.0, 0.0]) {
            assert_relative_eq!(*got, want, max_relative = 1e-12, epsilon = 1e-12);
        }
        // Past the first's full request the third joins: x = 8.1471 solves 31.0833 - 2.8333x = 8.
        let threshold = (24.0 + 2.5 / 3.0 * 8.5 - 8.0) / (2.0 + 2.5 / 3.0);
        let want = [3.0, 21.0 - 2.0 * threshold, 2.5 / 3.0 * (8.5 - threshold), 0.0];
        for (got, want) in by_priority(8.0).iter().zip(want) {
            assert_relative_eq!(*got, want, max_relative = 1e-12, epsilon = 1e-12);
        }
        assert_eq!(by_priority(13.5), requests.to_vec());
        assert_eq!(by_priority(100.0), requests.to_vec());
        assert_eq!(by_priority(0.0), vec![0.0; 4]);
    }

    /// MARKETP and ALLOC P, Vensim's two-step form of ALLOCATE BY PRIORITY (its MARKETP page:
    /// "You can get the same effect using the ALLOCATE BY PRIORITY function"), on the example
    /// above: the market priority for a supply of 5 is where only the first curve is open,
    /// 3·(11.5 − x)/3 + 6·(10.5 − x)/3 = 5, so x = (11.5 + 21 − 5) / 3 = 9.1667; ALLOC P there
    /// gives 7/3 and 8/3 as ALLOCATE BY PRIORITY does.
    #[test]
    fn alloc_p_at_the_market_priority_is_allocate_by_priority() {
        let (requests, priorities) = ([3.0, 6.0, 2.5, 2.0], [10.0, 9.0, 7.0, 2.0]);
        let market = |supply: f64| {
            let (request, priority) = (|i: usize| requests[i], |i: usize| priorities[i]);
            allocate(AllocationRule::ClearingPriority, 4, request, priority, 3.0, supply, 0)
        };
        let alloc_p =
            |i: usize, at: f64| allocate(AllocationRule::AtPriority, 1, |_| requests[i], |_| priorities[i], 3.0, at, 0);
        assert_relative_eq!(market(5.0), 27.5 / 3.0, max_relative = 1e-14);
        for (i, want) in [7.0 / 3.0, 8.0 / 3.0, 0.0, 0.0].into_iter().enumerate() {
            assert_relative_eq!(alloc_p(i, market(5.0)), want, max_relative = 1e-12, epsilon = 1e-12);
        }
        for supply in [0.0, 5.0, 8.0, 13.0, 13.5, 100.0] {
            let by_priority = shares(AllocationRule::ByPriority, &requests, &priorities, 3.0, supply);
            for (i, want) in by_priority.into_iter().enumerate() {
                assert_relative_eq!(alloc_p(i, market(supply)), want, max_relative = 1e-12, epsilon = 1e-12);
            }
        }
        // A supply that covers the requests: a whole width below the lowest priority, 2 − 3,
        // where every curve is full, so every request is met exactly.
        assert_eq!(market(13.5), -1.0);
        assert_eq!((0..4).map(|i| alloc_p(i, -1.0)).collect::<Vec<_>>(), requests.to_vec());
        // Above its priority by half the width or more, a request gets nothing: 10 + 1.5.
        assert_eq!(alloc_p(0, 11.5), 0.0);
        // What ALLOCATE BY PRIORITY refuses, MARKETP and ALLOC P refuse: a width not above zero,
        // a negative request or supply.
        assert!(allocate(AllocationRule::AtPriority, 1, |_| 1.0, |_| 1.0, 0.0, 1.0, 0).is_nan());
        assert!(allocate(AllocationRule::AtPriority, 1, |_| -1.0, |_| 1.0, 1.0, 1.0, 0).is_nan());
        assert!(market(-1.0).is_nan());
    }

    #[test]
    fn allocate_available_profiles_share_equally_between_equal_targets() {
        for kind in [1.0, 2.0, 3.0, 4.0] {
            let profiles = [kind, 5.0, 2.0, 0.0, kind, 5.0, 2.0, 0.0];
            let got = shares(AllocationRule::Available, &[4.0, 4.0], &profiles, 0.0, 3.0);
            assert_relative_eq!(got[0], 1.5, max_relative = 1e-12);
            assert_relative_eq!(got[1], 1.5, max_relative = 1e-12);
        }
    }

    #[test]
    fn allocate_refuses_what_vensim_refuses() {
        let nan = |rule, requests: &[f64], priorities: &[f64], width, supply| {
            shares(rule, requests, priorities, width, supply).iter().all(|v| v.is_nan())
        };
        assert!(nan(AllocationRule::ByPriority, &[1.0, -1.0], &[1.0, 2.0], 1.0, 0.5));
        assert!(nan(AllocationRule::ByPriority, &[1.0, 1.0], &[1.0, 2.0], 0.0, 0.5));
        assert!(nan(AllocationRule::ByPriority, &[1.0, 1.0], &[1.0, 2.0], 1.0, -0.5));
        // Constant elasticity (5), and fixed quantities (0) mixed with curves, are not computed.
        assert!(nan(AllocationRule::Available, &[1.0], &[5.0, 1.0, 1.0, 0.0], 0.0, 0.5));
        assert!(nan(AllocationRule::Available, &[1.0, 1.0], &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0], 0.0, 0.5));
    }

    /// The market price for `demands` and `supplies`, each a quantity with a profile.
    fn market_price(demands: &[(f64, [f64; 4])], supplies: &[(f64, [f64; 4])]) -> f64 {
        let all: Vec<&(f64, [f64; 4])> = demands.iter().chain(supplies).collect();
        let rule = AllocationRule::MarketPrice { demanders: demands.len() };
        allocate(rule, all.len(), |i| all[i].0, |k| all[k / 4].1[k % 4], 0.0, 0.0, 0)
    }

    /// What a quantity with a profile demands (or supplies) at `price`.
    fn at_price(rule: AllocationRule, quantity: f64, profile: [f64; 4], price: f64) -> f64 {
        allocate(rule, 1, |_| quantity, |k| profile[k], 0.0, price, 0)
    }

    #[test]
    fn market_functions_refuse_what_they_cannot_compute() {
        let good = (10.0, [1.0, 5.0, 2.0, 0.0]);
        assert!(market_price(&[(10.0, [0.0, 5.0, 2.0, 0.0])], &[good]).is_nan(), "fixed quantity");
        assert!(market_price(&[good], &[(10.0, [5.0, 5.0, 2.0, 0.0])]).is_nan(), "constant elasticity");
        assert!(market_price(&[(-1.0, good.1)], &[good]).is_nan(), "negative quantity");
        assert!(market_price(&[good], &[(10.0, [1.0, 5.0, 0.0, 0.0])]).is_nan(), "zero width");
        assert!(at_price(AllocationRule::DemandAtPrice, 10.0, good.1, f64::NAN).is_nan());
        // Rectangular demand of 10 around 5, width 2: all of it at 4, half at 5, none at 6.
        for (price, want) in [(4.0, 10.0), (5.0, 5.0), (6.0, 0.0)] {
            assert_eq!(at_price(AllocationRule::DemandAtPrice, 10.0, good.1, price), want);
            assert_eq!(at_price(AllocationRule::SupplyAtPrice, 10.0, good.1, price), 10.0 - want);
        }
    }

    #[test]
    fn inverse_element_reads_the_inverse_row_by_row() {
        // [[4, 7], [2, 6]]⁻¹ = [[0.6, -0.7], [-0.2, 0.4]].
        let matrix = [4.0, 7.0, 2.0, 6.0];
        for (position, want) in [0.6, -0.7, -0.2, 0.4].into_iter().enumerate() {
            assert_relative_eq!(inverse_element(2, |k| matrix[k], position), want, max_relative = 1e-12);
        }
        // A zero on the diagonal needs a row swap: [[0, 1], [1, 0]] is its own inverse.
        let swap = [0.0, 1.0, 1.0, 0.0];
        assert_eq!((0..4).map(|k| inverse_element(2, |i| swap[i], k)).collect::<Vec<_>>(), swap);
        let singular = [1.0, 2.0, 2.0, 4.0];
        assert!(inverse_element(2, |k| singular[k], 0).is_nan(), "singular");
        assert!(inverse_element(MAX_INVERTED_SIZE + 1, |_| 1.0, 0).is_nan(), "singular, past the stack's size");
        // Past the stack's size the matrix is worked on the heap: a 40 × 40 matrix with 40 on
        // the diagonal and 1 / (1 + r + c) elsewhere times its inverse is the identity.
        let size = 40;
        let a = |r: usize, c: usize| if r == c { 40.0 } else { 1.0 / (1.0 + r as f64 + c as f64) };
        for (r, c) in [(0, 0), (0, 39), (17, 23), (39, 39), (25, 4)] {
            let product: f64 =
                (0..size).map(|k| a(r, k) * inverse_element(size, |i| a(i / size, i % size), k * size + c)).sum();
            assert_relative_eq!(product, if r == c { 1.0 } else { 0.0 }, epsilon = 1e-12);
        }
    }

    /// Arguments for a table with points `xs`: the points themselves and their neighbouring
    /// numbers, points between them, far outside both ends, infinities and NaN, then `uniform`
    /// numbers in `[0, 1)` spread over the table and a margin beyond it.
    fn lookup_arguments(xs: &[f64], uniform: &[f64]) -> Vec<f64> {
        let (low, high) = (xs[0], xs[xs.len() - 1]);
        let width = (high - low).max(1.0);
        let mut arguments = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, low - 1e9 * width, high + 1e9 * width];
        for &point in xs {
            arguments.extend([point, point.next_up(), point.next_down()]);
        }
        arguments.extend(xs.windows(2).map(|pair| 0.5 * (pair[0] + pair[1])));
        arguments.extend(uniform.iter().map(|&u| low - 0.25 * width + u * 1.5 * width));
        arguments
    }

    /// The lane-wide lookup against the per-lane search of `lookup`, every bit, sixteen lanes at
    /// a time and one.
    fn check_lookup_lanes(table: &Table, arguments: &[f64]) -> Result<(), proptest::test_runner::TestCaseError> {
        for chunk in arguments.chunks(16) {
            let mut lanes = [0.5; 16];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let answers = lookup_lanes(table, &lanes);
            for (&x, answer) in lanes.iter().zip(answers) {
                let expected = lookup(table, x);
                let [one_lane] = lookup_lanes(table, &[x]);
                proptest::prop_assert!(one_lane.to_bits() == expected.to_bits(), "one lane at {x}");
                proptest::prop_assert!(
                    answer.to_bits() == expected.to_bits(),
                    "{:?} {:?} at {x}: {answer} instead of {expected}",
                    table.kind,
                    table.search
                );
            }
        }
        Ok(())
    }

    fn graph_kind() -> impl proptest::strategy::Strategy<Value = GraphKind> {
        proptest::prop_oneof![
            proptest::strategy::Just(GraphKind::Continuous),
            proptest::strategy::Just(GraphKind::Extrapolate),
            proptest::strategy::Just(GraphKind::Discrete),
        ]
    }

    /// A variable that looks a table up at a constant argument is static: the initial program
    /// computes it once, and the per-step program looks up only what changes.
    #[test]
    fn a_lookup_of_a_constant_is_computed_once() {
        let model = fulcrum_model::builder::ModelBuilder::new(0.0, 10.0, 1.0)
            .constant("c", 2.0)
            .graph("g", GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0])
            .aux("once", "g(c) + g(3)")
            .stock("S", "0", &["f"], &[])
            .flow("f", "g(S) * once")
            .build();
        let resolved = fulcrum_model::resolve(&model).expect("a valid model");
        let compiled = crate::compile(&resolved).expect("compiles");
        let lookups = |ops: &[crate::program::Op]| {
            ops.iter().filter(|op| matches!(op, crate::program::Op::Lookup { .. })).count()
        };
        assert_eq!(lookups(&compiled.evaluate), 1, "only g(S) each step");
        assert!(lookups(&compiled.initial) >= 2, "g(c) and g(3) at the start");
    }

    /// Short tables are swept to the points (no pass for equal points) only where a point's own
    /// segment gives its value to the bit; ties, -0 among the values, infinite slopes and
    /// infinite points keep the pass, and both sweeps give the per-lane search's bits at the
    /// points, their neighbours and between them, -0 and +0 arguments included.
    #[test]
    fn short_tables_sweep_to_their_points_only_where_that_is_exact() {
        let cases: [(&[f64], &[f64], bool); 7] = [
            (&[0.0, 1.0, 2.0, 4.0], &[3.0, 0.0, 7.5, -2.0], true),
            (&[-2.0, 0.0, 3.0], &[1.0, 0.0, 5.0], true),
            (&[-2.0, 0.0, 3.0], &[1.0, -0.0, 5.0], false),
            (&[0.0, 1.0, 1.0, 2.0], &[0.0, 1.0, 5.0, 2.0], false),
            (&[-1e308, 1e308], &[0.0, 1.0], true),
            (&[-1e308, 1e308], &[-1e308, 1e308], false),
            (&[0.0, f64::INFINITY], &[1.0, 2.0], false),
        ];
        for (xs, ys, exact) in cases {
            for kind in [GraphKind::Continuous, GraphKind::Extrapolate, GraphKind::Discrete] {
                let graph = table(kind, xs, ys);
                assert_eq!(graph.search, Search::Count, "{xs:?}");
                assert_eq!(graph.exact_at_points, exact, "{xs:?} {ys:?}");
                let mut arguments = lookup_arguments(xs, &[0.0, 0.3, 0.7, 1.0]);
                arguments.extend([0.0, -0.0]);
                let checked = check_lookup_lanes(&graph, &arguments);
                assert!(checked.is_ok(), "{xs:?} {ys:?}: {checked:?}");
            }
        }
    }

    #[test]
    fn tables_choose_their_search() {
        let search = |xs: &[f64]| Table::new(GraphKind::Continuous, xs.to_vec(), vec![0.0; xs.len()]).search;
        let six: Vec<f64> = (0..6).map(|i| f64::from(i) * 0.1).collect();
        assert_eq!(search(&six), Search::Count);
        let short_even: Vec<f64> = (0..=10).map(|i| f64::from(i) * 0.1).collect();
        assert!(matches!(search(&short_even), Search::Direct { .. }), "{:?}", search(&short_even));
        let long_even: Vec<f64> = (0..200).map(|i| 1960.0 + f64::from(i) * 0.5).collect();
        assert!(matches!(search(&long_even), Search::Direct { .. }), "{:?}", search(&long_even));
        let tenths: Vec<f64> = (0..=100).map(|i| f64::from(i) * 0.1).collect();
        assert!(matches!(search(&tenths), Search::Direct { .. }));
        // Not exact at its points (a -0 among the values): the corrected guess of `Even`, or
        // the sweep when short.
        let mut signed_zero = vec![1.0; tenths.len()];
        signed_zero[7] = -0.0;
        let even = Table::new(GraphKind::Continuous, tenths.clone(), signed_zero.clone()).search;
        assert!(matches!(even, Search::Even { .. }), "{even:?}");
        let short = Table::new(GraphKind::Continuous, short_even.clone(), signed_zero[..11].to_vec()).search;
        assert_eq!(short, Search::Count);
        // One point two segments off its place is not evenly spaced.
        let mut uneven: Vec<f64> = (0..40).map(f64::from).collect();
        uneven[20] = 22.5;
        uneven.sort_by(f64::total_cmp);
        assert_eq!(search(&uneven), Search::Bisect);
        assert_eq!(search(&[2.0]), Search::Count);
        assert_eq!(search(&[0.0, f64::INFINITY]), Search::Count);
        assert_eq!(search(&[0.0, 2.0, 1.0]), Search::Unordered);
        assert_eq!(search(&[0.0, f64::NAN, 1.0]), Search::Unordered);
    }

    proptest::proptest! {
        /// Evenly spaced tables as models write them (start plus a multiple of the step, or the
        /// step added point by point): short ones take `Search::Count`, from
        /// `DIRECT_POINTS` those exact at their points `Search::Direct` (swept below
        /// `SWEPT_DIRECT_POINTS` in sixteen lanes, read directly in one), longer others
        /// `Search::Even`, and all give the bits of the per-lane search.
        #[test]
        fn lookups_of_evenly_spaced_tables_match_the_per_lane_search(
            kind in graph_kind(),
            start in -1000.0f64..1000.0,
            step in 0.001f64..100.0,
            accumulate in proptest::bool::ANY,
            ys in proptest::collection::vec(-1e3f64..1e3, 2..120),
            uniform in proptest::collection::vec(0.0f64..1.0, 64),
        ) {
            let xs: Vec<f64> = if accumulate {
                let mut x = start;
                (0..ys.len()).map(|_| { let point = x; x += step; point }).collect()
            } else {
                (0..ys.len()).map(|i| start + i as f64 * step).collect()
            };
            let table = Table::new(kind, xs.clone(), ys);
            if table.exact_at_points && xs.len() >= crate::program::DIRECT_POINTS {
                proptest::prop_assert!(matches!(table.search, Search::Direct { .. }), "{:?}", xs);
            } else if xs.len() > crate::program::COUNTED_POINTS {
                proptest::prop_assert!(matches!(table.search, Search::Even { .. }), "{:?}", xs);
            }
            check_lookup_lanes(&table, &lookup_arguments(&xs, &uniform))?;
        }

        /// Unevenly spaced tables (sorted random points, ties included), short and long, give
        /// the bits of the per-lane search whichever search they take.
        #[test]
        fn lookups_of_unevenly_spaced_tables_match_the_per_lane_search(
            kind in graph_kind(),
            mut xs in proptest::collection::vec(-100.0f64..100.0, 1..80),
            tie in proptest::option::of(0usize..80),
            shuffle in proptest::bool::weighted(0.1),
            y in proptest::collection::vec(-1e3f64..1e3, 80),
            uniform in proptest::collection::vec(0.0f64..1.0, 64),
        ) {
            xs.sort_by(f64::total_cmp);
            if let Some(tie) = tie.filter(|&tie| tie + 1 < xs.len()) {
                xs[tie + 1] = xs[tie];
            }
            if shuffle && xs.len() > 2 {
                // Out of order, as no model may have them: the lanes search one by one.
                let other = 1 + tie.unwrap_or(0) % (xs.len() - 1);
                xs.swap(0, other);
            }
            let table = Table::new(kind, xs.clone(), y[..xs.len()].to_vec());
            check_lookup_lanes(&table, &lookup_arguments(&xs, &uniform))?;
        }

        /// Nearly even tables: a few points of an evenly spaced table moved by a little or a lot,
        /// so that some pass the check for `Search::Even` only just and some fail it.
        #[test]
        fn lookups_of_nearly_even_tables_match_the_per_lane_search(
            kind in graph_kind(),
            count in 2usize..80,
            moves in proptest::collection::vec((0usize..80, -1.5f64..1.5), 0..4),
            uniform in proptest::collection::vec(0.0f64..1.0, 64),
        ) {
            let mut xs: Vec<f64> = (0..count).map(|i| i as f64).collect();
            for (index, offset) in moves {
                if let Some(point) = xs.get_mut(index) {
                    *point += offset;
                }
            }
            xs.sort_by(f64::total_cmp);
            let ys: Vec<f64> = xs.iter().map(|x| x * x - 3.0 * x).collect();
            let table = Table::new(kind, xs.clone(), ys);
            check_lookup_lanes(&table, &lookup_arguments(&xs, &uniform))?;
        }
    }

    proptest::proptest! {
        /// RANK at every place from 1 to the length names every element once, and the values
        /// (then tie-break values) so named never fall.
        #[test]
        fn sorted_indices_are_a_permutation_in_ascending_order(
            pairs in proptest::collection::vec((0u8..4, 0u8..3), 1..9),
        ) {
            let value = |i: usize| f64::from(pairs[i].0);
            let tie = |i: usize| f64::from(pairs[i].1);
            let length = pairs.len();
            let indices: Vec<usize> =
                (1..=length).map(|place| sorted_index(length, place as f64, value, tie) as usize - 1).collect();
            let mut seen = indices.clone();
            seen.sort_unstable();
            proptest::prop_assert_eq!(seen, (0..length).collect::<Vec<_>>());
            for window in indices.windows(2) {
                proptest::prop_assert!((value(window[0]), tie(window[0])) <= (value(window[1]), tie(window[1])));
            }
            proptest::prop_assert!(sorted_index(length, 0.0, value, tie).is_nan());
            proptest::prop_assert!(sorted_index(length, length as f64 + 1.0, value, tie).is_nan());
        }

        /// A matrix times its inverse is the identity.
        #[test]
        fn inverse_element_inverts(size in 1usize..6, seed in proptest::collection::vec(-10.0f64..10.0, 36)) {
            // Diagonally dominant, so never singular.
            let a = |r: usize, c: usize| seed[r * 6 + c] + if r == c { 100.0 } else { 0.0 };
            for r in 0..size {
                for c in 0..size {
                    let product: f64 =
                        (0..size).map(|k| a(r, k) * inverse_element(size, |i| a(i / size, i % size), k * size + c)).sum();
                    let identity = if r == c { 1.0 } else { 0.0 };
                    proptest::prop_assert!((product - identity).abs() < 1e-12, "{product} at {r},{c}");
                }
            }
        }

        /// At the price FIND MARKET PRICE finds, what the demanders buy (DEMAND AT PRICE) adds
        /// up to what the suppliers sell (SUPPLY AT PRICE): the market clears, whatever the
        /// profiles.
        fn market_price_clears_the_market(
            agents in proptest::collection::vec((0.0f64..100.0, 1u8..5, -20.0f64..20.0, 0.1f64..10.0), 2..8),
            split in 1usize..7,
        ) {
            let demanders = split.min(agents.len() - 1);
            let with_profile = |&(quantity, kind, priority, width): &(f64, u8, f64, f64)| {
                (quantity, [f64::from(kind), priority, width, 0.0])
            };
            let demands: Vec<(f64, [f64; 4])> = agents[..demanders].iter().map(with_profile).collect();
            let supplies: Vec<(f64, [f64; 4])> = agents[demanders..].iter().map(with_profile).collect();
            let price = market_price(&demands, &supplies);
            proptest::prop_assert!(price.is_finite());
            let bought: f64 =
                demands.iter().map(|&(q, profile)| at_price(AllocationRule::DemandAtPrice, q, profile, price)).sum();
            let sold: f64 =
                supplies.iter().map(|&(q, profile)| at_price(AllocationRule::SupplyAtPrice, q, profile, price)).sum();
            let scale: f64 = agents.iter().map(|a| a.0).sum::<f64>().max(1.0);
            proptest::prop_assert!((bought - sold).abs() <= 1e-9 * scale, "bought {bought}, sold {sold} at {price}");
        }

        /// ALLOC P at the priority MARKETP finds gives ALLOCATE BY PRIORITY's shares, and short of
        /// the requests they add up to the supply: the two-step form conserves what is shared.
        #[test]
        fn alloc_p_at_marketp_shares_the_supply_as_allocate_by_priority(
            targets in proptest::collection::vec((0.0f64..100.0, -10.0f64..10.0), 1..6),
            width in 0.1f64..10.0,
            fraction in 0.0f64..1.2,
        ) {
            let requests: Vec<f64> = targets.iter().map(|t| t.0).collect();
            let priorities: Vec<f64> = targets.iter().map(|t| t.1).collect();
            let requested: f64 = requests.iter().sum();
            let supply = requested * fraction;
            let (request, priority) = (|i: usize| requests[i], |i: usize| priorities[i]);
            let market =
                allocate(AllocationRule::ClearingPriority, requests.len(), request, priority, width, supply, 0);
            let by_priority = shares(AllocationRule::ByPriority, &requests, &priorities, width, supply);
            let mut total = 0.0;
            for i in 0..requests.len() {
                let share = allocate(AllocationRule::AtPriority, 1, |_| requests[i], |_| priorities[i], width, market, 0);
                proptest::prop_assert!((share - by_priority[i]).abs() <= 1e-9 * requested.max(1.0));
                total += share;
            }
            proptest::prop_assert!((total - supply.min(requested)).abs() <= 1e-9 * requested.max(1.0));
        }

        /// Short of the requests, the shares add up to the supply, none is negative or above
        /// its request, and a higher priority never gets a smaller part of its request.
        #[test]
        fn allocations_use_the_whole_supply_and_respect_priorities(
            targets in proptest::collection::vec((0.0f64..100.0, -10.0f64..10.0, 1u8..=4), 1..6),
            width in 0.1f64..10.0,
            fraction in 0.0f64..1.0,
        ) {
            let requests: Vec<f64> = targets.iter().map(|t| t.0).collect();
            let supply = fraction * requests.iter().sum::<f64>();
            let priorities: Vec<f64> = targets.iter().map(|t| t.1).collect();
            let profiles: Vec<f64> =
                targets.iter().flat_map(|t| [f64::from(t.2), t.1, width, 0.0]).collect();
            for (rule, given) in [(AllocationRule::ByPriority, &priorities), (AllocationRule::Available, &profiles)] {
                let got = shares(rule, &requests, given, width, supply);
                let total: f64 = got.iter().sum();
                proptest::prop_assert!((total - supply).abs() <= 1e-9 * (1.0 + supply), "{got:?} for {supply}");
                for (share, request) in got.iter().zip(&requests) {
                    proptest::prop_assert!(*share >= 0.0 && *share <= request * (1.0 + 1e-12), "{got:?}");
                }
            }
            let got = shares(AllocationRule::ByPriority, &requests, &priorities, width, supply);
            for i in 0..requests.len() {
                for j in 0..requests.len() {
                    if priorities[i] > priorities[j] && requests[i] > 0.0 && requests[j] > 0.0 {
                        proptest::prop_assert!(got[i] / requests[i] >= got[j] / requests[j] - 1e-9, "{got:?}");
                    }
                }
            }
        }
    }
}
