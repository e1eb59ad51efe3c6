//! A batch of runs side by side: lane `l` of every slot belongs to run `l`.
//!
//! A step is: apply scheduled constant changes → evaluate at `t` (auxiliaries, flows, rates) →
//! report to the observer (saved times, or every step if it asks) → note what `PREVIOUS` and
//! `DELAY` will need (a SAMPLE IF TRUE hold takes its new value here already) → move conveyors'
//! belts and queues' batches with the flows at `t` → integrate the stocks to `t + dt`
//! (Runge-Kutta stages evaluate again) → make the noted values current and compute what leaves
//! the conveyors during the next step → draw this step's random numbers.
//! Nothing is allocated per step.

use std::collections::VecDeque;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use fulcrum_model::{Method, Precision, VarId};

use crate::functions::lookup;
use crate::program::{ComputedAxis, Layout, Placement, Slot, fixed};
use crate::vm::{execute, execute_fused, to_single};
use crate::{CompiledModel, Failure, SimError};

/// The values of a batch at one time step.
pub struct Point<'a, const L: usize> {
    /// The step: 0 for the start.
    pub step: usize,
    /// Which saved time this is, if it is one (0 for the start).
    pub saved: Option<usize>,
    /// The simulation time.
    pub time: f64,
    values: &'a [[f64; L]],
    model: &'a CompiledModel,
    /// Each lane's own time and saved times, when the model computes its time settings.
    clocks: Option<&'a Clocks<L>>,
}

impl<'a, const L: usize> Point<'a, L> {
    /// The values of a variable in every lane.
    pub fn get(&self, variable: VarId) -> &'a [f64; L] {
        &self.values[self.model.variables[variable.index()].slot as usize]
    }

    /// Lane `lane`'s time at this point. On a fixed time axis every lane is at
    /// [`Point::time`]; when the model computes its time settings
    /// ([`CompiledModel::time_is_computed`]) each lane keeps its own time, and `time`, `saved`
    /// and `step` are lane 0's (`step` counts the batch's steps).
    pub fn lane_time(&self, lane: usize) -> f64 {
        self.clocks.map_or(self.time, |clocks| clocks.time[lane])
    }

    /// Which of lane `lane`'s saved times this point is, if it is one.
    pub fn lane_saved(&self, lane: usize) -> Option<usize> {
        self.clocks.map_or(self.saved, |clocks| clocks.saved[lane])
    }

    /// Whether this point is part of lane `lane`'s run: always on a fixed time axis; when the
    /// model computes its time settings, not once the lane's run has ended (the batch goes on
    /// while other lanes run, and the values of an ended lane mean nothing).
    pub fn lane_running(&self, lane: usize) -> bool {
        self.clocks.is_none_or(|clocks| clocks.current[lane])
    }
}

/// Each lane's own time axis, when the model computes its time settings during the run.
pub(crate) struct Clocks<const L: usize> {
    /// The time of the current step.
    time: [f64; L],
    /// Where the current time step began, and how many steps of it have been taken since:
    /// the time is `anchor + steps × dt`, by multiplication as on a fixed axis, so a time step
    /// that never changes gives the times a fixed axis gives, bit for bit.
    anchor: [f64; L],
    steps: [u64; L],
    /// The time step of the step that led here.
    dt: [f64; L],
    /// The next time to save.
    next_save: [f64; L],
    /// How many times each lane has saved.
    saves: [usize; L],
    /// Which saved time the current step is, per lane.
    saved: [Option<usize>; L],
    /// Whether the current step is part of the lane's run.
    current: [bool; L],
}

/// A time or a time step: one for every lane (a fixed axis) or one per lane (time settings
/// computed during the run). The integrators are written once over it; for `f64` they compile
/// to the same instructions as for a plain number.
trait PerLane<const L: usize>: Copy {
    fn at(self, lane: usize) -> f64;
    fn map(self, f: impl Fn(f64) -> f64) -> Self;
    fn zip(self, other: Self, f: impl Fn(f64, f64) -> f64) -> Self;
    fn lanes(self) -> [f64; L];
}

impl<const L: usize> PerLane<L> for f64 {
    #[inline(always)]
    fn at(self, _lane: usize) -> f64 {
        self
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> f64 {
        f(self)
    }
    #[inline(always)]
    fn zip(self, other: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
        f(self, other)
    }
    #[inline(always)]
    fn lanes(self) -> [f64; L] {
        [self; L]
    }
}

impl<const L: usize> PerLane<L> for [f64; L] {
    #[inline(always)]
    fn at(self, lane: usize) -> f64 {
        self[lane]
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> [f64; L] {
        self.map(f)
    }
    #[inline(always)]
    fn zip(self, other: [f64; L], f: impl Fn(f64, f64) -> f64) -> [f64; L] {
        std::array::from_fn(|lane| f(self[lane], other[lane]))
    }
    #[inline(always)]
    fn lanes(self) -> [f64; L] {
        self
    }
}

/// More steps than this in one run with computed time settings stops the run: the stop time
/// keeps moving ahead of the time.
const MAX_COMPUTED_STEPS: usize = 1_000_000_000;

/// Receives the batch's values at every saved time, or at every step.
pub trait Observer<const L: usize> {
    /// Whether to call [`Observer::observe`] at every time step rather than at saved times only
    /// (statistics over a whole trajectory need every step).
    const EVERY_STEP: bool = false;

    /// Called in time order.
    fn observe(&mut self, point: &Point<'_, L>);
}

impl<const L: usize, F: FnMut(&Point<'_, L>)> Observer<L> for F {
    fn observe(&mut self, point: &Point<'_, L>) {
        self(point)
    }
}

/// Runs up to `L` runs of a compiled model at once. Reuse it: buffers are allocated once.
pub struct Batch<'m, const L: usize> {
    model: &'m CompiledModel,
    values: Vec<[f64; L]>,
    /// Per-lane values of the model's constants, by position in [`CompiledModel::constants`].
    constants: Vec<[f64; L]>,
    /// Runge-Kutta scratch: stocks at the start of the step and the stage rates.
    start_stocks: Vec<[f64; L]>,
    stage_rates: [Vec<[f64; L]>; 4],
    delays: Vec<Pipeline<L>>,
    /// The values, step by step, of each variable `HISTORY` reads.
    histories: Vec<Vec<[f64; L]>>,
    /// Each conveyor's belt, one per lane.
    belts: Vec<[Vec<Slat>; L]>,
    /// What each recorded leak takes during the step, batch by batch, one list per lane: (the
    /// part of the batch's journey still ahead of it, the amount).
    spills: Vec<[Vec<(f64, f64)>; L]>,
    /// Each queue's batches, front first, one list per lane: (left, entered).
    lines: Vec<[VecDeque<(f64, f64)>; L]>,
    /// Each lane's generator for unseeded random functions.
    lane_rngs: Vec<ChaCha8Rng>,
    /// One generator per seeded random function, shared by all lanes.
    seeded_rngs: Vec<ChaCha8Rng>,
    /// Constants that change part-way through the runs, in order of their step.
    changes: Vec<Change<L>>,
    failures: [Option<Failure>; L],
}

/// One batch of material on a conveyor's belt: what entered during one step.
#[derive(Clone, Copy, Debug)]
struct Slat {
    /// What is on the belt now.
    amount: f64,
    /// What entered, which linear leakage takes its share of.
    entered_amount: f64,
    /// What its leaks take during the current step; it leaves the belt when the step is done
    /// (unless the conveyor is arrested).
    leaking: f64,
    /// The step whose inflows it is (negative for the initial contents).
    entered: i64,
    /// The step during which it reaches the end of the belt.
    leaves: i64,
    /// On a belt of variable speed: how much of the way it has come, 1 at the end.
    progress: f64,
}

/// Which of the between-step stages a model has work for, found once per run: most small
/// models have no delays, conveyors, queues or random draws, and their time loop skips the
/// stages instead of walking empty lists at every step.
#[derive(Clone, Copy)]
struct Hooks {
    /// `PREVIOUS`, `HISTORY` and pipeline delays: noted before the step, made current after it.
    states: bool,
    conveyors: bool,
    queues: bool,
    draws: bool,
}

impl Hooks {
    fn of(layout: &Layout) -> Hooks {
        Hooks {
            states: !(layout.previous.is_empty() && layout.histories.is_empty() && layout.delays.is_empty()),
            conveyors: !layout.conveyors.is_empty(),
            queues: !layout.queues.is_empty(),
            draws: !layout.draws.is_empty(),
        }
    }
}

/// A constant taking new values from a step on.
struct Change<const L: usize> {
    step: usize,
    slot: Slot,
    values: [f64; L],
}

/// A fixed transport delay: one ring buffer per lane, each as long as that lane's delay. A
/// material delay's ring is as long as the run, one place per step, and `filled` marks the
/// places that some input will leave at.
struct Pipeline<const L: usize> {
    buffers: [Vec<f64>; L],
    filled: [Vec<bool>; L],
    heads: [usize; L],
}

impl<'m, const L: usize> Batch<'m, L> {
    /// Computes every variable the per-step program holds from the current stocks and time.
    fn evaluate(&mut self) {
        let model = self.model;
        execute_fused(
            &model.evaluate_fused,
            &mut self.values,
            &model.graphs,
            &model.lists,
            &self.histories,
            &self.lines,
        );
    }

    /// Computes the initial values.
    fn evaluate_initial(&mut self) {
        let model = self.model;
        execute(&model.initial, &mut self.values, &model.graphs, &model.lists, &self.histories, &self.lines);
    }

    /// A batch whose constants start at the model's values and whose runs use streams 0..L of
    /// seed 0.
    pub fn new(model: &'m CompiledModel) -> Batch<'m, L> {
        let layout = &model.layout;
        let stocks = layout.stock_count;
        let constants = model.constants.iter().map(|c| [c.default; L]).collect();
        let mut batch = Batch {
            model,
            values: vec![[0.0; L]; layout.slot_count],
            constants,
            start_stocks: vec![[0.0; L]; stocks],
            stage_rates: std::array::from_fn(|_| vec![[0.0; L]; stocks]),
            delays: layout
                .delays
                .iter()
                .map(|_| Pipeline {
                    buffers: std::array::from_fn(|_| Vec::new()),
                    filled: std::array::from_fn(|_| Vec::new()),
                    heads: [0; L],
                })
                .collect(),
            histories: layout.histories.iter().map(|_| Vec::new()).collect(),
            belts: layout.conveyors.iter().map(|_| std::array::from_fn(|_| Vec::new())).collect(),
            spills: (0..layout.spills).map(|_| std::array::from_fn(|_| Vec::new())).collect(),
            lines: layout.queues.iter().map(|_| std::array::from_fn(|_| VecDeque::new())).collect(),
            lane_rngs: Vec::new(),
            seeded_rngs: Vec::new(),
            changes: Vec::new(),
            failures: std::array::from_fn(|_| None),
        };
        batch.set_runs(0, std::array::from_fn(|lane| lane as u64));
        batch
    }

    /// The model this batch runs.
    pub fn model(&self) -> &'m CompiledModel {
        self.model
    }

    /// Sets a constant in one lane.
    pub fn set(&mut self, lane: usize, constant: usize, value: f64) {
        if let (Some(values), true) = (self.constants.get_mut(constant), lane < L) {
            values[lane] = value;
        }
    }

    /// A constant's value in each lane, as [`Batch::set`] left it.
    pub fn constant(&self, constant: usize) -> Option<&[f64; L]> {
        self.constants.get(constant)
    }

    /// Sets a constant in every lane.
    pub fn set_all(&mut self, constant: usize, value: f64) {
        if let Some(values) = self.constants.get_mut(constant) {
            *values = [value; L];
        }
    }

    /// From time `time` on, the constant at position `constant` takes `values` (one per lane),
    /// until the end of each run; before, it has the value [`Batch::set`] gave it. The change
    /// happens at the first step whose time is past `time - dt/2`, the rule `STEP` follows, so
    /// that rounding in the time axis cannot move it a step. A time at or before the start
    /// changes the value from the start, initial values included. Only constants compiled as
    /// changing ([`crate::CompileOptions`]) can change part-way.
    pub fn set_from(&mut self, constant: usize, time: f64, values: [f64; L]) -> Result<(), SimError> {
        let info = self.model.constants.get(constant).ok_or(SimError::UnknownConstant(constant))?;
        let axis = self.model.axis;
        if self.model.time_is_computed() && time > axis.start {
            return Err(SimError::ChangeWithComputedTime(info.name.clone()));
        }
        // The first step n with start + n·dt + dt/2 > time.
        let step = ((time - axis.start) / axis.dt - 0.5).floor() + 1.0;
        let step = if step.is_nan() { 0 } else { step.clamp(0.0, (axis.steps + 1) as f64) as usize };
        if step > 0 && !info.changing {
            return Err(SimError::NotChanging(info.name.clone()));
        }
        self.changes.push(Change { step, slot: info.slot, values });
        self.changes.sort_by_key(|change| change.step);
        Ok(())
    }

    /// Forgets every change given by [`Batch::set_from`].
    pub fn clear_changes(&mut self) {
        self.changes.clear();
    }

    /// Random functions in lane `l` draw from ChaCha8 stream `run_ids[l]` of `seed`, so a run's
    /// numbers depend on its id, never on which batch or lane it lands in.
    pub fn set_runs(&mut self, seed: u64, run_ids: [u64; L]) {
        if self.model.layout.draws.iter().any(|draw| draw.seed.is_none()) {
            self.lane_rngs = run_ids
                .iter()
                .map(|&run| {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(run);
                    rng
                })
                .collect();
        }
    }

    /// Runs every lane from start to stop, calling the observer at each saved time. Returns
    /// the failure of each lane that produced NaN or infinity (the other lanes finish).
    pub fn run<O: Observer<L>>(&mut self, observer: &mut O) -> &[Option<Failure>; L] {
        self.failures = std::array::from_fn(|_| None);
        self.initialize();
        let model = self.model;
        if let Some(computed) = &model.computed {
            self.run_computed(computed, observer);
            return &self.failures;
        }
        let axis = model.axis;
        let hooks = Hooks::of(&model.layout);
        let mut save_index = 0;
        let mut next_change = self.changes.partition_point(|change| change.step == 0);
        for step in 0..=axis.steps {
            while let Some(change) = self.changes.get(next_change).filter(|change| change.step == step) {
                self.values[change.slot as usize] = change.values;
                next_change += 1;
            }
            self.set_time(axis.time_at(step));
            self.values[fixed::STEP_TIME as usize] = [axis.time_at(step); L];
            self.evaluate();
            let saved = axis.is_saved(step).then_some(save_index);
            if saved.is_some() {
                self.check_variables(axis.time_at(step), false);
                save_index += 1;
            }
            if saved.is_some() || O::EVERY_STEP {
                observer.observe(&Point {
                    step,
                    saved,
                    time: axis.time_at(step),
                    values: &self.values,
                    model,
                    clocks: None,
                });
            }
            if step == axis.steps || self.failures.iter().all(Option::is_some) {
                break;
            }
            if hooks.states {
                self.capture_states();
            }
            if hooks.conveyors {
                self.load_conveyors(step as i64);
            }
            if hooks.queues {
                self.move_queues();
            }
            self.integrate(axis.time_at(step), axis.dt);
            if hooks.states {
                self.commit_states();
            }
            if hooks.conveyors {
                self.move_conveyors(step as i64 + 1);
            }
            self.check_stocks(axis.time_at(step), axis.time_at(step + 1));
            if hooks.draws {
                self.draw();
            }
        }
        &self.failures
    }

    /// The time step and stop time that built-ins read (`DT`, `STOPTIME`) are the computed
    /// ones: once the initial values are known, they are set from them and the initial values
    /// computed again (twice at most: a setting that reads itself through `DT` is not chased).
    #[inline(never)]
    fn settle_computed_settings(&mut self, computed: &ComputedAxis) {
        for _ in 0..2 {
            let before = (self.values[fixed::DT as usize], self.values[fixed::STOP as usize]);
            if let Some((slot, _)) = computed.dt {
                self.values[fixed::DT as usize] = self.values[slot as usize];
            }
            if let Some((slot, _)) = computed.stop {
                self.values[fixed::STOP as usize] = self.values[slot as usize];
            }
            let same = |a: [f64; L], b: [f64; L]| a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits());
            if same(before.0, self.values[fixed::DT as usize]) && same(before.1, self.values[fixed::STOP as usize]) {
                break;
            }
            self.evaluate_initial();
        }
    }

    /// The time loop of a model whose stop time, time step or save interval is computed during
    /// the run: after each evaluation at a lane's time `t`, the lane reads the settings
    /// computed at `t`; `t` is saved when it reaches the next save time (the last save time plus
    /// the save interval computed then), and is the lane's last time when one more step of the
    /// time step computed at `t` would pass the stop time computed at `t` (within the billionth
    /// of a step a fixed axis allows); otherwise the lane steps on by that time step. The lanes
    /// step together; a lane that has ended is left out of what the observer is told, and a
    /// failure after its end is not its own. A time step that is not a positive number, or a
    /// save interval that is not one, stops the lane with that setting's variable named.
    // Kept out of line, so that the fixed axis's loop compiles as it did without it.
    #[inline(never)]
    fn run_computed<O: Observer<L>>(&mut self, computed: &ComputedAxis, observer: &mut O) {
        let model = self.model;
        let axis = model.axis;
        let start = axis.start;
        let mut clocks = Clocks {
            time: [start; L],
            anchor: [start; L],
            steps: [0; L],
            dt: self.values[fixed::DT as usize],
            next_save: [start; L],
            saves: [0; L],
            saved: [None; L],
            current: [true; L],
        };
        // Each lane's failure as it stood when its run ended.
        let mut at_end: [Option<Option<Failure>>; L] = std::array::from_fn(|_| None);
        let mut next_dt = [0.0; L];
        let mut ending = [false; L];
        for step in 0.. {
            self.values[fixed::TIME as usize] = clocks.time;
            self.values[fixed::STEP_TIME as usize] = clocks.time;
            self.evaluate();
            let dt = computed.dt.map_or([axis.dt; L], |(slot, _)| self.values[slot as usize]);
            let stop = computed.stop.map_or([axis.stop; L], |(slot, _)| self.values[slot as usize]);
            // What reads the time step or the stop time at `t` reads the ones computed at `t`.
            let dt_changed = dt.iter().zip(&self.values[fixed::DT as usize]).any(|(a, b)| a.to_bits() != b.to_bits());
            let stop_changed =
                stop.iter().zip(&self.values[fixed::STOP as usize]).any(|(a, b)| a.to_bits() != b.to_bits());
            self.values[fixed::DT as usize] = dt;
            self.values[fixed::STOP as usize] = stop;
            if dt_changed || stop_changed {
                self.evaluate();
            }
            let save = computed.save.map(|(slot, _)| self.values[slot as usize]);
            for lane in 0..L {
                clocks.saved[lane] = None;
                ending[lane] = false;
                if !clocks.current[lane] {
                    continue;
                }
                let time = clocks.time[lane];
                let lane_dt = dt[lane];
                let (anchor, steps) = if lane_dt.to_bits() == clocks.dt[lane].to_bits() {
                    (clocks.anchor[lane], clocks.steps[lane] + 1)
                } else {
                    (time, 1)
                };
                let next = anchor + steps as f64 * lane_dt;
                if !(lane_dt.is_finite() && lane_dt > 0.0 && next > time) {
                    self.fail_setting(lane, computed.dt, time, lane_dt);
                    ending[lane] = true;
                } else {
                    ending[lane] = (stop[lane] - anchor) / lane_dt + 1e-9 < steps as f64 || step >= MAX_COMPUTED_STEPS;
                    if step >= MAX_COMPUTED_STEPS {
                        self.fail_setting(lane, computed.stop, time, stop[lane]);
                    }
                }
                let interval = save.map_or(computed.save_step.unwrap_or(lane_dt), |save| save[lane]);
                let due = time >= clocks.next_save[lane] - lane_dt.abs() * 1e-6;
                if due || ending[lane] {
                    clocks.saved[lane] = Some(clocks.saves[lane]);
                    clocks.saves[lane] += 1;
                }
                if due {
                    if !(interval.is_finite() && interval > 0.0) {
                        self.fail_setting(lane, computed.save, time, interval);
                        ending[lane] = true;
                    }
                    let scheduled = clocks.next_save[lane] + interval;
                    clocks.next_save[lane] =
                        if scheduled > time + lane_dt.abs() * 1e-6 { scheduled } else { time + interval };
                }
                next_dt[lane] = lane_dt;
                if !ending[lane] {
                    clocks.anchor[lane] = anchor;
                    clocks.steps[lane] = steps;
                }
            }
            if clocks.saved.iter().any(Option::is_some) {
                self.check_saved_lanes(&clocks);
            }
            if clocks.saved.iter().any(Option::is_some) || O::EVERY_STEP {
                observer.observe(&Point {
                    step,
                    saved: clocks.saved[0],
                    time: clocks.time[0],
                    values: &self.values,
                    model,
                    clocks: Some(&clocks),
                });
            }
            for lane in 0..L {
                if ending[lane] {
                    at_end[lane] = Some(self.failures[lane].clone());
                    clocks.current[lane] = false;
                }
            }
            let failed_or_ended = (0..L).all(|lane| !clocks.current[lane] || self.failures[lane].is_some());
            if failed_or_ended {
                break;
            }
            let before = clocks.time;
            self.capture_states();
            self.integrate(before, next_dt);
            self.commit_states();
            for lane in 0..L {
                clocks.dt[lane] = next_dt[lane];
                if clocks.current[lane] {
                    clocks.time[lane] = clocks.anchor[lane] + clocks.steps[lane] as f64 * next_dt[lane];
                }
            }
            self.check_stocks(before, clocks.time);
            self.draw();
        }
        for (failure, at_end) in self.failures.iter_mut().zip(at_end) {
            if let Some(at_end) = at_end {
                *failure = at_end;
            }
        }
    }

    /// Stops a lane whose computed time setting is not usable, naming the setting's variable.
    fn fail_setting(&mut self, lane: usize, setting: Option<(Slot, VarId)>, time: f64, value: f64) {
        if self.failures[lane].is_some() {
            return;
        }
        if let Some((_, variable)) = setting {
            self.failures[lane] = Some(Failure { variable, name: self.model.display_name(variable), time, value });
        }
    }

    /// Every variable is checked in the lanes that save at this step, at each lane's own time.
    fn check_saved_lanes(&mut self, clocks: &Clocks<L>) {
        let checked = &self.model.layout.checked;
        for &(slot, variable) in checked {
            for lane in 0..L {
                if clocks.saved[lane].is_some()
                    && self.failures[lane].is_none()
                    && !self.values[slot as usize][lane].is_finite()
                {
                    self.failures[lane] = Some(self.failure(variable, slot, lane, clocks.time[lane]));
                }
            }
        }
    }

    fn set_time(&mut self, time: f64) {
        self.values[fixed::TIME as usize] = [time; L];
    }

    fn initialize(&mut self) {
        let model = self.model;
        let layout = &model.layout;
        let axis = &model.axis;
        self.values[fixed::DT as usize] = [axis.dt; L];
        self.values[fixed::START as usize] = [axis.start; L];
        self.values[fixed::STOP as usize] = [axis.stop; L];
        for &(slot, value) in &layout.literals {
            self.values[slot as usize] = [value; L];
        }
        for (constant, values) in model.constants.iter().zip(&self.constants) {
            self.values[constant.slot as usize] = *values;
        }
        for change in self.changes.iter().take_while(|change| change.step == 0) {
            self.values[change.slot as usize] = change.values;
        }
        self.seeded_rngs = layout.draws.iter().filter_map(|draw| draw.seed).map(ChaCha8Rng::seed_from_u64).collect();
        self.set_time(axis.start);
        self.values[fixed::STEP_TIME as usize] = [axis.start; L];
        self.draw();
        for conveyor in &layout.conveyors {
            for &output in &conveyor.outputs {
                self.values[output as usize] = [0.0; L];
            }
        }
        for queue in &layout.queues {
            self.values[queue.front as usize] = [0.0; L];
        }
        // A previous run's batches are not this run's.
        self.lines.iter_mut().flatten().for_each(VecDeque::clear);
        for history in &mut self.histories {
            history.clear();
            history.reserve(model.axis.steps + 1);
        }
        self.evaluate_initial();
        if let Some(computed) = &model.computed {
            self.settle_computed_settings(computed);
        }
        // What leaves a conveyor at the start depends on the initial values, and initial values
        // may read it: lay the belts out and compute again, until the conveyors' contents settle
        // (a conveyor filled from another's outflow needs one more round; a stock reading its
        // own outflow is an initial-value loop the resolver refuses).
        let stocks: Vec<Slot> =
            layout.conveyors.iter().map(|c| c.stock).chain(layout.queues.iter().map(|q| q.stock)).collect();
        for _ in 0..stocks.len() {
            let before: Vec<[f64; L]> = stocks.iter().map(|&stock| self.values[stock as usize]).collect();
            self.start_queues();
            self.start_conveyors();
            self.evaluate_initial();
            let settled = stocks.iter().zip(&before).all(|(&stock, before)| {
                self.values[stock as usize].iter().zip(before).all(|(a, b)| a.to_bits() == b.to_bits())
            });
            if settled {
                break;
            }
        }
        self.start_delays();
        self.start_queues();
        self.start_conveyors();
        self.check_variables(axis.start, true);
    }

    /// Fills each pipeline delay with its initial output, as many steps long as its delay time
    /// at the start (rounded to whole steps, at least one). A delay longer than the run never
    /// lets anything out, so its buffer need not be longer than the run.
    fn start_delays(&mut self) {
        let layout = &self.model.layout;
        let dt = self.model.axis.dt;
        let longest_useful = (self.model.axis.steps + 1) as f64;
        for (slots, pipeline) in layout.delays.iter().zip(&mut self.delays) {
            let delay_times = self.values[slots.delay_time as usize];
            let initial = self.values[slots.initial as usize];
            for lane in 0..L {
                let steps = (delay_times[lane] / dt).round().clamp(1.0, longest_useful);
                // A NaN delay time counts as one step; the NaN shows up in the run's check.
                let steps = if steps.is_nan() { 1 } else { steps as usize };
                let buffer = &mut pipeline.buffers[lane];
                buffer.clear();
                pipeline.heads[lane] = 0;
                if slots.material.is_some() {
                    // One place per step of the run and one more, so that an input never lands
                    // on the place being read; the first `steps` places hold the initial output.
                    let length = self.model.axis.steps + 2;
                    buffer.resize(length, 0.0);
                    let filled = &mut pipeline.filled[lane];
                    filled.clear();
                    filled.resize(length, false);
                    for place in 0..steps.min(length - 1) {
                        buffer[place] = initial[lane];
                        filled[place] = true;
                    }
                } else {
                    buffer.resize(steps, initial[lane]);
                }
            }
        }
    }

    /// Notes the values at `t` that `PREVIOUS` and `DELAY` hand on to `t + dt`, before
    /// Runge-Kutta stages overwrite the auxiliaries.
    // Inlined into the time loops, as the fixed axis's loop had them before a second loop
    // called them too.
    #[inline(always)]
    fn capture_states(&mut self) {
        let layout = &self.model.layout;
        for previous in &layout.previous {
            let slot = if previous.before_step { previous.value } else { previous.pending };
            self.values[slot as usize] = self.values[previous.source as usize];
        }
        for (&slot, history) in layout.histories.iter().zip(&mut self.histories) {
            history.push(self.values[slot as usize]);
        }
        let dt = self.model.axis.dt;
        for (slots, pipeline) in layout.delays.iter().zip(&mut self.delays) {
            let input = self.values[slots.input as usize];
            if let Some(material) = slots.material {
                let delay_times = self.values[material.delay_time as usize];
                for lane in 0..L {
                    let (buffer, filled) = (&mut pipeline.buffers[lane], &mut pipeline.filled[lane]);
                    let (head, length) = (pipeline.heads[lane], buffer.len());
                    // This step's output has been read: the place is free for a later step.
                    buffer[head] = 0.0;
                    filled[head] = false;
                    let steps = (delay_times[lane] / dt).round().clamp(1.0, (length - 1) as f64);
                    let steps = if steps.is_nan() { 1 } else { steps as usize };
                    let place = (head + steps) % length;
                    buffer[place] = if filled[place] { buffer[place] + input[lane] } else { input[lane] };
                    filled[place] = true;
                    pipeline.heads[lane] = (head + 1) % length;
                }
                continue;
            }
            for lane in 0..L {
                let buffer = &mut pipeline.buffers[lane];
                let head = pipeline.heads[lane];
                buffer[head] = input[lane];
                pipeline.heads[lane] = (head + 1) % buffer.len();
            }
        }
    }

    // Inlined into the time loops, as the fixed axis's loop had them before a second loop
    // called them too.
    #[inline(always)]
    fn commit_states(&mut self) {
        let layout = &self.model.layout;
        for previous in layout.previous.iter().filter(|previous| !previous.before_step) {
            self.values[previous.value as usize] = self.values[previous.pending as usize];
        }
        for (slots, pipeline) in layout.delays.iter().zip(&self.delays) {
            let missing = slots.material.map(|material| self.values[material.missing as usize]);
            let output = &mut self.values[slots.output as usize];
            for lane in 0..L {
                let head = pipeline.heads[lane];
                output[lane] = match missing {
                    Some(missing) if !pipeline.filled[lane][head] => missing[lane],
                    _ => pipeline.buffers[lane][head],
                };
            }
        }
    }

    /// Lays each conveyor's initial contents (the stock's initial value) on its belt: evenly
    /// over the transit time at the start, one batch per step leaving at steps 0, 1, ...; a
    /// discrete conveyor puts them only at the batches leaving at whole time units from the
    /// start. Then computes what leaves during the first step.
    fn start_conveyors(&mut self) {
        let layout = &self.model.layout;
        let dt = self.model.axis.dt;
        let longest_useful = (self.model.axis.steps + 2) as f64;
        for (slots, belts) in layout.conveyors.iter().zip(&mut self.belts) {
            let contents = self.values[slots.stock as usize];
            let transit_times = self.values[slots.transit_time as usize];
            for lane in 0..L {
                let belt = &mut belts[lane];
                belt.clear();
                let steps = transit_steps(transit_times[lane], dt, longest_useful);
                // A discrete conveyor's batches sit one time unit apart.
                let spacing = if slots.discrete { ((1.0 / dt).round().max(1.0)) as i64 } else { 1 };
                // A spacing past the belt's end puts everything in the batch leaving first.
                let spacing = spacing.clamp(1, steps);
                let count = (steps + spacing - 1) / spacing;
                let amount = contents[lane] / count as f64;
                for leaves in (0..steps).step_by(spacing as usize) {
                    // On a belt of variable speed, as far along as the transit time at the start
                    // puts the batch that leaves at step `leaves`.
                    let progress = 1.0 - leaves as f64 / steps as f64;
                    belt.push(Slat {
                        amount,
                        entered_amount: amount,
                        leaking: 0.0,
                        entered: leaves - steps,
                        leaves,
                        progress,
                    });
                }
            }
        }
        self.move_conveyors(0);
    }

    /// A queue's initial contents are one batch.
    fn start_queues(&mut self) {
        for (slots, lines) in self.model.layout.queues.iter().zip(&mut self.lines) {
            let contents = self.values[slots.stock as usize];
            for lane in 0..L {
                lines[lane].clear();
                if contents[lane] > 0.0 {
                    lines[lane].push_back((contents[lane], contents[lane]));
                }
            }
            self.values[slots.front as usize] = std::array::from_fn(|lane| lines[lane].front().map_or(0.0, |b| b.0));
        }
    }

    /// Once the values at `t` are known: each inflow's batch joins the end of its queue, in
    /// order, and what the outflows take during the step comes off the front.
    // Inlined into the time loops, as the fixed axis's loop had them before a second loop
    // called them too.
    #[inline(always)]
    fn move_queues(&mut self) {
        let dt = self.model.axis.dt;
        for (slots, lines) in self.model.layout.queues.iter().zip(&mut self.lines) {
            for lane in 0..L {
                let line = &mut lines[lane];
                for &inflow in &slots.inflows {
                    let batch = self.values[inflow as usize][lane] * dt;
                    if batch > 0.0 {
                        line.push_back((batch, batch));
                    }
                }
                let rate: f64 = slots.outflows.iter().map(|&outflow| self.values[outflow as usize][lane]).sum();
                let mut taking = rate * dt;
                while let Some(front) = line.front_mut() {
                    let taken = taking.min(front.0);
                    front.0 -= taken;
                    taking -= taken;
                    // A batch taken down to rounding error is gone.
                    if front.0 <= front.1 * 1e-12 {
                        line.pop_front();
                    } else {
                        break;
                    }
                }
            }
            self.values[slots.front as usize] = std::array::from_fn(|lane| lines[lane].front().map_or(0.0, |b| b.0));
        }
    }

    /// Once the values at `t` (step `step`) are known: the belt moves, taking off what leaked
    /// and what reached the end, unless the conveyor is arrested at `t`, when every batch's
    /// journey waits a step. Then what the inflows bring during the step goes on the belt, to
    /// leave the transit time read now later, or spread along it (see [`Spread`]).
    // Inlined into the time loops, as the fixed axis's loop had them before a second loop
    // called them too.
    #[inline(always)]
    fn load_conveyors(&mut self, step: i64) {
        let layout = &self.model.layout;
        let dt = self.model.axis.dt;
        let longest_useful = (self.model.axis.steps + 2) as f64;
        for (slots, belts) in layout.conveyors.iter().zip(&mut self.belts) {
            let transit_times = self.values[slots.transit_time as usize];
            let arrested = slots.arrest.map(|arrest| self.values[arrest as usize]);
            for lane in 0..L {
                let belt = &mut belts[lane];
                if arrested.is_some_and(|arrested| arrested[lane] != 0.0) {
                    for slat in belt.iter_mut() {
                        slat.entered += 1;
                        slat.leaves += 1;
                    }
                } else {
                    for slat in belt.iter_mut() {
                        slat.amount -= slat.leaking;
                    }
                    belt.retain(|slat| slat.leaves > step);
                    if slots.variable_speed {
                        // The belt moves during the step at the speed the transit time gives now.
                        let advance = dt / transit_times[lane].max(dt);
                        for slat in belt.iter_mut() {
                            slat.progress += advance;
                            slat.leaves = reached(slat.progress, step);
                        }
                    }
                }
                let steps = transit_steps(transit_times[lane], dt, longest_useful);
                // Inflows placed at the start of the belt enter together as one batch.
                let mut rate = 0.0;
                for (&inflow, &placement) in slots.inflows.iter().zip(&slots.placements) {
                    let inflow_rate = self.values[inflow as usize][lane];
                    let spread = Spread { step, steps, amount: inflow_rate * dt };
                    let placed = match placement {
                        Placement::Beginning => false,
                        _ if inflow_rate == 0.0 => true,
                        Placement::Even => spread.place(belt, (1..=steps).map(|position| (position, 1.0))),
                        Placement::Existing => spread.in_proportion(belt),
                        Placement::Source(spill) => {
                            let spilled = &self.spills[spill as usize][lane];
                            spread.place(belt, spilled.iter().map(|&(ahead, amount)| (spread.place_of(ahead), amount)))
                        }
                        Placement::Profile(graph) => {
                            let profile = &self.model.graphs[graph as usize];
                            spread.place(
                                belt,
                                spread.positions().map(|(position, ahead)| (position, lookup(profile, ahead))),
                            )
                        }
                    };
                    if !placed {
                        rate += inflow_rate;
                    }
                }
                let amount = rate * dt;
                if amount != 0.0 {
                    let mut slat = Slat {
                        amount,
                        entered_amount: amount,
                        leaking: 0.0,
                        entered: step,
                        leaves: step + steps,
                        progress: 0.0,
                    };
                    if slots.variable_speed {
                        // Its first ride is this step's.
                        let arrested = arrested.is_some_and(|arrested| arrested[lane] != 0.0);
                        slat.progress = if arrested { 0.0 } else { dt / transit_times[lane].max(dt) };
                        slat.leaves = reached(slat.progress, step).max(step + 1);
                    }
                    belt.push(slat);
                }
            }
        }
    }

    /// Computes what leaves each conveyor during step `step`, as rates: first what each leak
    /// takes from the batches in its zone, then what is left of the batches that reach the end.
    /// The belt itself moves once the step's values are known (`load_conveyors`).
    fn move_conveyors(&mut self, step: i64) {
        let layout = &self.model.layout;
        let dt = self.model.axis.dt;
        let values = &mut self.values;
        let spills = &mut self.spills;
        for (slots, belts) in layout.conveyors.iter().zip(&mut self.belts) {
            // Amounts are added up in the output slots, then turned into rates.
            for &output in &slots.outputs {
                values[output as usize] = [0.0; L];
            }
            for lane in 0..L {
                for spill in slots.leaks.iter().filter_map(|leak| leak.spill) {
                    spills[spill as usize][lane].clear();
                }
                for slat in belts[lane].iter_mut() {
                    let length = slat.leaves - slat.entered;
                    // The slat's place on its journey: 1 in its first step, `length` in its last.
                    let place = step - slat.entered;
                    slat.leaking = 0.0;
                    for (leak, &output) in slots.leaks.iter().zip(&slots.outputs[1..]) {
                        let Some(zone) = zone_steps(leak.zone_start, leak.zone_end, length) else { continue };
                        if !zone.contains(&place) {
                            continue;
                        }
                        let fraction = values[leak.fraction as usize][lane];
                        let left = slat.amount - slat.leaking;
                        let mut leaked = if slots.exponential_leak {
                            fraction * dt * left
                        } else {
                            fraction * slat.entered_amount / (zone.end() - zone.start() + 1) as f64
                        };
                        if leak.integers {
                            leaked = leaked.floor();
                        }
                        // Nothing leaks that is not there, and leaks never add.
                        let leaked = leaked.min(left).max(0.0);
                        slat.leaking += leaked;
                        values[output as usize][lane] += leaked;
                        if let Some(spill) = leak.spill
                            && leaked > 0.0
                        {
                            // The part of its journey still ahead of the batch.
                            let ahead = (slat.leaves - step) as f64 / length as f64;
                            spills[spill as usize][lane].push((ahead, leaked));
                        }
                    }
                    if slat.leaves <= step {
                        values[slots.outputs[0] as usize][lane] += slat.amount - slat.leaking;
                    }
                }
            }
            for &output in &slots.outputs {
                values[output as usize] = values[output as usize].map(|amount| amount / dt);
            }
        }
    }

    /// Draws this step's standard variates: once per step, shared by all Runge-Kutta stages.
    fn draw(&mut self) {
        let layout = &self.model.layout;
        let mut seeded = self.seeded_rngs.iter_mut();
        for draw in &layout.draws {
            let values = &mut self.values[draw.slot as usize];
            if draw.seed.is_some() {
                if let Some(rng) = seeded.next() {
                    *values = [variate(rng, draw.normal); L];
                }
            } else {
                for (value, rng) in values.iter_mut().zip(&mut self.lane_rngs) {
                    *value = variate(rng, draw.normal);
                }
            }
        }
    }

    /// Advances the stocks from `time` to `time + dt`. The rates at `time` are already computed.
    // Inlined into the time loops, as the fixed axis's loop had them before a second loop
    // called them too.
    #[inline(always)]
    fn integrate<T: PerLane<L>>(&mut self, time: T, dt: T) {
        let model = self.model;
        if model.precision == Precision::Single {
            return self.integrate_single(time, dt);
        }
        let layout = &model.layout;
        let stocks = layout.first_stock as usize..layout.first_stock as usize + layout.stock_count;
        let rates = layout.first_rate as usize..layout.first_rate as usize + layout.stock_count;
        match model.axis.method {
            Method::Euler => {
                let (head, tail) = self.values.split_at_mut(rates.start);
                for (stock, rate) in head[stocks].iter_mut().zip(&tail[..layout.stock_count]) {
                    for lane in 0..L {
                        stock[lane] += dt.at(lane) * rate[lane];
                    }
                }
            }
            Method::Rk2 => {
                self.start_stocks.copy_from_slice(&self.values[stocks.clone()]);
                self.stage_rates[0].copy_from_slice(&self.values[rates.clone()]);
                self.set_stage(&stocks, 0, dt, time.zip(dt, |time, dt| time + dt));
                self.stage_rates[1].copy_from_slice(&self.values[rates.clone()]);
                let [k1, k2, ..] = &self.stage_rates;
                let half = dt.map(|dt| dt / 2.0);
                for (((stock, start), k1), k2) in self.values[stocks].iter_mut().zip(&self.start_stocks).zip(k1).zip(k2)
                {
                    for lane in 0..L {
                        stock[lane] = start[lane] + half.at(lane) * (k1[lane] + k2[lane]);
                    }
                }
            }
            Method::Rk4 => {
                self.start_stocks.copy_from_slice(&self.values[stocks.clone()]);
                self.stage_rates[0].copy_from_slice(&self.values[rates.clone()]);
                let half = dt.map(|dt| dt / 2.0);
                let middle = time.zip(half, |time, half| time + half);
                self.set_stage(&stocks, 0, half, middle);
                self.stage_rates[1].copy_from_slice(&self.values[rates.clone()]);
                self.set_stage(&stocks, 1, half, middle);
                self.stage_rates[2].copy_from_slice(&self.values[rates.clone()]);
                self.set_stage(&stocks, 2, dt, time.zip(dt, |time, dt| time + dt));
                self.stage_rates[3].copy_from_slice(&self.values[rates.clone()]);
                let [k1, k2, k3, k4] = &self.stage_rates;
                let sixth = dt.map(|dt| dt / 6.0);
                for (index, stock) in self.values[stocks].iter_mut().enumerate() {
                    let start = self.start_stocks[index];
                    for lane in 0..L {
                        stock[lane] = start[lane]
                            + sixth.at(lane)
                                * (k1[index][lane] + 2.0 * k2[index][lane] + 2.0 * k3[index][lane] + k4[index][lane]);
                    }
                }
            }
        }
    }

    /// Sets the stocks to `start + h * k[stage]` and evaluates the rates at `stage_time`.
    fn set_stage<T: PerLane<L>>(&mut self, stocks: &std::ops::Range<usize>, stage: usize, h: T, stage_time: T) {
        let rates = &self.stage_rates[stage];
        for ((stock, start), rate) in self.values[stocks.clone()].iter_mut().zip(&self.start_stocks).zip(rates) {
            for lane in 0..L {
                stock[lane] = start[lane] + h.at(lane) * rate[lane];
            }
        }
        self.values[fixed::TIME as usize] = stage_time.lanes();
        self.evaluate();
    }

    /// [`Batch::integrate`] in single precision: each product and sum of the update is rounded
    /// to single precision, as Vensim computes `stock + dt * rate`, so stocks stay
    /// single-precision numbers.
    fn integrate_single<T: PerLane<L>>(&mut self, time: T, dt: T) {
        let model = self.model;
        let layout = &model.layout;
        let stocks = layout.first_stock as usize..layout.first_stock as usize + layout.stock_count;
        let rates = layout.first_rate as usize..layout.first_rate as usize + layout.stock_count;
        let r = to_single;
        let dt = dt.map(r);
        let half = dt.map(|dt| r(dt / 2.0));
        let end = time.zip(dt, |time, dt| time + dt);
        match model.axis.method {
            Method::Euler => {
                let (head, tail) = self.values.split_at_mut(rates.start);
                for (stock, rate) in head[stocks].iter_mut().zip(&tail[..layout.stock_count]) {
                    for lane in 0..L {
                        stock[lane] = r(stock[lane] + r(dt.at(lane) * rate[lane]));
                    }
                }
            }
            Method::Rk2 => {
                self.start_stocks.copy_from_slice(&self.values[stocks.clone()]);
                self.stage_rates[0].copy_from_slice(&self.values[rates.clone()]);
                self.set_stage_single(&stocks, 0, dt, end);
                self.stage_rates[1].copy_from_slice(&self.values[rates.clone()]);
                let [k1, k2, ..] = &self.stage_rates;
                for (((stock, start), k1), k2) in self.values[stocks].iter_mut().zip(&self.start_stocks).zip(k1).zip(k2)
                {
                    for lane in 0..L {
                        stock[lane] = r(start[lane] + r(half.at(lane) * r(k1[lane] + k2[lane])));
                    }
                }
            }
            Method::Rk4 => {
                self.start_stocks.copy_from_slice(&self.values[stocks.clone()]);
                self.stage_rates[0].copy_from_slice(&self.values[rates.clone()]);
                let middle = time.zip(dt, |time, dt| time + dt / 2.0);
                self.set_stage_single(&stocks, 0, half, middle);
                self.stage_rates[1].copy_from_slice(&self.values[rates.clone()]);
                self.set_stage_single(&stocks, 1, half, middle);
                self.stage_rates[2].copy_from_slice(&self.values[rates.clone()]);
                self.set_stage_single(&stocks, 2, dt, end);
                self.stage_rates[3].copy_from_slice(&self.values[rates.clone()]);
                let [k1, k2, k3, k4] = &self.stage_rates;
                let sixth = dt.map(|dt| r(dt / 6.0));
                for (index, stock) in self.values[stocks].iter_mut().enumerate() {
                    let start = self.start_stocks[index];
                    for lane in 0..L {
                        let sum = r(r(r(k1[index][lane] + r(2.0 * k2[index][lane])) + r(2.0 * k3[index][lane]))
                            + k4[index][lane]);
                        stock[lane] = r(start[lane] + r(sixth.at(lane) * sum));
                    }
                }
            }
        }
    }

    /// [`Batch::set_stage`] in single precision.
    fn set_stage_single<T: PerLane<L>>(&mut self, stocks: &std::ops::Range<usize>, stage: usize, h: T, stage_time: T) {
        let rates = &self.stage_rates[stage];
        for ((stock, start), rate) in self.values[stocks.clone()].iter_mut().zip(&self.start_stocks).zip(rates) {
            for lane in 0..L {
                stock[lane] = to_single(start[lane] + to_single(h.at(lane) * rate[lane]));
            }
        }
        self.values[fixed::TIME as usize] = stage_time.lanes();
        self.evaluate();
    }

    /// Stocks carry a run forward, so they are checked after every step. When one has gone bad,
    /// the culprit is usually a flow from the step before: report the first bad variable among
    /// those still holding that step's values, else the stock.
    // Inlined into the time loops, as the fixed axis's loop had them before a second loop
    // called them too.
    #[inline(always)]
    fn check_stocks<T: PerLane<L>>(&mut self, previous_time: T, time: T) {
        let layout = &self.model.layout;
        let first = layout.first_stock as usize;
        if all_finite(&self.values[first..first + layout.stock_count]) {
            return;
        }
        for lane in 0..L {
            if self.failures[lane].is_some() {
                continue;
            }
            let bad_stock = (first..first + layout.stock_count).find(|&slot| !self.values[slot][lane].is_finite());
            if let Some(stock_slot) = bad_stock {
                let culprit = layout.checked.iter().find(|(slot, _)| {
                    let is_stock = (first..first + layout.stock_count).contains(&(*slot as usize));
                    !is_stock && !self.values[*slot as usize][lane].is_finite()
                });
                self.failures[lane] = Some(match culprit {
                    Some(&(slot, variable)) => self.failure(variable, slot, lane, previous_time.at(lane)),
                    None => {
                        let variable = self.model.variable_at(stock_slot as Slot);
                        self.failure(variable, stock_slot as Slot, lane, time.at(lane))
                    }
                });
            }
        }
    }

    /// Every variable is checked at the times that are reported: one branch-free pass over all
    /// of them, and a search for the culprit only when something is not finite. After the start
    /// the stocks are left out: [`Batch::check_stocks`] has checked them at the end of the step
    /// that computed them, and a lane with a bad stock has failed already.
    // The pass is inlined into the time loop, which calls it at every saved time; the search
    // stays out of line.
    #[inline(always)]
    fn check_variables(&mut self, time: f64, at_start: bool) {
        let layout = &self.model.layout;
        let checked = if at_start { &layout.checked } else { &layout.checked_after_start };
        let mut sum = [0.0; L];
        for &(slot, _) in checked {
            let values = &self.values[slot as usize];
            for lane in 0..L {
                sum[lane] += values[lane] * 0.0;
            }
        }
        if !all_zero(&sum) {
            self.find_bad_variables(time, at_start);
        }
    }

    /// Records, in each lane that has not failed, the first checked variable that is not finite.
    #[inline(never)]
    fn find_bad_variables(&mut self, time: f64, at_start: bool) {
        let layout = &self.model.layout;
        let checked = if at_start { &layout.checked } else { &layout.checked_after_start };
        for &(slot, variable) in checked {
            for lane in 0..L {
                if self.failures[lane].is_none() && !self.values[slot as usize][lane].is_finite() {
                    self.failures[lane] = Some(self.failure(variable, slot, lane, time));
                }
            }
        }
    }

    fn failure(&self, variable: VarId, slot: Slot, lane: usize, time: f64) -> Failure {
        Failure { variable, name: self.model.display_name(variable), time, value: self.values[slot as usize][lane] }
    }

    /// The failure of lane `lane` in the last run, as an error.
    pub fn lane_error(&self, lane: usize) -> Option<SimError> {
        self.failures.get(lane)?.clone().map(SimError::NonFinite)
    }
}

/// Are all values finite? Branch-free, so it vectorizes: `x * 0` is NaN exactly when `x` is
/// NaN or infinite, and NaN survives the sum.
#[inline(always)]
fn all_finite<const L: usize>(slots: &[[f64; L]]) -> bool {
    let mut sum = [0.0; L];
    for values in slots {
        for lane in 0..L {
            sum[lane] += values[lane] * 0.0;
        }
    }
    all_zero(&sum)
}

/// Is every lane of a sum of `x * 0` terms zero? Each lane is zero (of either sign) or NaN, and
/// NaN is the only one with bits outside the sign bit: or-ing the lanes' bits is a few vector
/// instructions, where testing lane by lane is a compare and a branch each.
#[inline(always)]
fn all_zero<const L: usize>(sum: &[f64; L]) -> bool {
    let bits = sum.iter().fold(0_u64, |bits, lane| bits | lane.to_bits());
    bits & !(1_u64 << 63) == 0
}

fn variate(rng: &mut ChaCha8Rng, normal: bool) -> f64 {
    if normal { rng.sample(StandardNormal) } else { rng.random::<f64>() }
}

/// What one spread inflow brings during step `step` onto a belt `steps` steps long. Position
/// `k` (1 to `steps`) is the material that leaves `k` steps later, during step `step + k`: the
/// end of the journey of a batch that entered `steps - k` steps ago, which is where it is put,
/// so that leak zones see it where it is.
struct Spread {
    step: i64,
    steps: i64,
    amount: f64,
}

impl Spread {
    /// Each position `k` with the part of the journey still ahead there, `k / steps`: from one
    /// step's worth at the end of the belt to the whole journey at its start.
    fn positions(&self) -> impl Iterator<Item = (i64, f64)> + Clone {
        let steps = self.steps;
        (1..=steps).map(move |position| (position, position as f64 / steps as f64))
    }

    /// The position of an amount with the part `ahead` of its journey still to go.
    fn place_of(&self, ahead: f64) -> i64 {
        ((ahead * self.steps as f64).round() as i64).clamp(1, self.steps)
    }

    /// Puts the amount at the positions given with their weights, in proportion; a batch
    /// already at a position (same entry, same exit) takes its share. False, and nothing
    /// placed, when the weights add up to nothing.
    fn place(&self, belt: &mut Vec<Slat>, weighted: impl Iterator<Item = (i64, f64)> + Clone) -> bool {
        let total: f64 = weighted.clone().map(|(_, weight)| weight.max(0.0)).sum();
        if total <= 0.0 || !total.is_finite() {
            return false;
        }
        let mut at: std::collections::HashMap<(i64, i64), usize> =
            belt.iter().enumerate().map(|(index, slat)| ((slat.entered, slat.leaves), index)).collect();
        for (position, weight) in weighted {
            let share = self.amount * (weight.max(0.0) / total);
            if share == 0.0 {
                continue;
            }
            let leaves = self.step + position;
            let entered = leaves - self.steps;
            match at.get(&(entered, leaves)) {
                Some(&index) => {
                    belt[index].amount += share;
                    belt[index].entered_amount += share;
                }
                None => {
                    at.insert((entered, leaves), belt.len());
                    // A spread inflow never fills a belt of variable speed (the resolver refuses it), so
                    // its batches' progress is never read.
                    belt.push(Slat {
                        amount: share,
                        entered_amount: share,
                        leaking: 0.0,
                        entered,
                        leaves,
                        progress: 0.0,
                    });
                }
            }
        }
        true
    }

    /// Adds the amount to the batches on the belt in proportion to what each holds. False,
    /// and nothing placed, when the belt is empty.
    fn in_proportion(&self, belt: &mut [Slat]) -> bool {
        let total: f64 = belt.iter().map(|slat| slat.amount.max(0.0)).sum();
        if total <= 0.0 || !total.is_finite() {
            return false;
        }
        for slat in belt.iter_mut() {
            let share = self.amount * (slat.amount.max(0.0) / total);
            slat.amount += share;
            slat.entered_amount += share;
        }
        true
    }
}

/// A transit time in whole steps: rounded, at least one, at most one past the run (NaN counts
/// as one step; the NaN shows up in the run's check).
/// The step in which a batch on a belt of variable speed leaves, once it has come `progress` of
/// the way by the end of step `step`: the next one when it has reached the end (to rounding of
/// the sum of its moves), else a later one (found as it moves on).
fn reached(progress: f64, step: i64) -> i64 {
    if progress >= 1.0 - 1e-9 || progress.is_nan() { step + 1 } else { step + 2 }
}

fn transit_steps(transit_time: f64, dt: f64, longest_useful: f64) -> i64 {
    let steps = (transit_time / dt).round().clamp(1.0, longest_useful);
    if steps.is_nan() { 1 } else { steps as i64 }
}

/// The places (1 to `length`) of a journey of `length` steps whose middles lie in the leak zone
/// `[start, end]` (fractions of the journey); `None` when no place does.
fn zone_steps(start: f64, end: f64, length: i64) -> Option<std::ops::RangeInclusive<i64>> {
    let length_f = length as f64;
    // Place p's middle is (p − ½)/length: in the zone when start·length + ½ ≤ p ≤ end·length + ½.
    let first = (start * length_f + 0.5).ceil().max(1.0);
    let last = (end * length_f + 0.5).floor().min(length_f);
    (first <= last).then_some(first as i64..=last as i64)
}
