//! The stock-and-flow diagram of a model as SVG text: stocks as boxes, flows as pipes with a
//! valve (and a cloud where a flow has no stock at one end), auxiliaries and constants as
//! circles, and causal links as curved arrows from each variable to those whose equations read
//! it.
//!
//! Positions come from the file's own diagram when it saves one ([`Layout`], from XMILE
//! `<views>` or a Vensim sketch); anything it does not place, or every variable of a file without
//! one, is placed by a simple layered layout: stocks on one row in the order their flows chain
//! them, flows between their stocks (or hanging below a stock, to a cloud), auxiliaries in rows
//! above, each near the variables it feeds. The same model gives the same bytes.
//!
//! Text is SVG `<text>` in the generic `sans-serif` family, at 15 to 16 pixels in a drawing at
//! 1:1 scale: no font file is read or embedded, every viewer substitutes its own sans-serif face,
//! names stay searchable and selectable, and a diagram of a dozen stocks scaled to a slide's
//! width keeps its labels readable. Layout widths assume an average glyph of 0.55 em, with room
//! to spare for wider faces.
//!
//! ```
//! use fulcrum_model::{native, resolve};
//! let text = "[sim]\nstart = 0\nstop = 1\ndt = 1\n[[stock]]\nname = \"Cash\"\ninitial = 1\ninflows = [\"Income\"]\n[[flow]]\nname = \"Income\"\nequation = \"Cash * 0.1\"\n";
//! let (model, _) = native::read(text).unwrap();
//! let resolved = resolve(&model).unwrap();
//! let svg = fulcrum_report::diagram::diagram(&model, &resolved, None);
//! assert!(svg.starts_with("<svg") && svg.contains(">Cash</tspan>"));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::load::{Format, LoadedModel};
use fulcrum_model::layout::Layout;
use fulcrum_model::resolve::Expr;
use fulcrum_model::resolve::{Polarity, VarId, link_polarity, read_by};
use fulcrum_model::{CanonicalName, Model, ResolvedKind, ResolvedModel, VariableKind};

#[cfg(test)]
mod tests;

/// How one variable is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A box.
    Stock,
    /// A valve on a pipe.
    Flow,
    /// A circle: auxiliaries, constants and graphical functions.
    Auxiliary,
}

/// A causal link: `to`'s equations read `from` (indexes into the model's variables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The cause.
    pub from: usize,
    /// The effect.
    pub to: usize,
    /// The link's sign where the structure fixes it (`fulcrum_model::link_polarity`, the same
    /// for every element and hidden variable the link stands for); drawn as `+` or `−` at the
    /// arrowhead.
    pub polarity: Option<Polarity>,
}

/// Each variable's shape, in the model's order.
pub fn shapes(model: &Model) -> Vec<Shape> {
    model
        .variables
        .iter()
        .map(|variable| match variable.kind {
            VariableKind::Stock { .. } => Shape::Stock,
            VariableKind::Flow { .. } => Shape::Flow,
            VariableKind::Auxiliary | VariableKind::GraphicalFunction => Shape::Auxiliary,
        })
        .collect()
}

/// The causal links among the model's variables, sorted: what each auxiliary's and flow's
/// equation reads. A stock's initial value is left out: it sets where the run starts, not how it
/// moves, and drawing it would tie a stock to every constant of an equilibrium start. Variables made by lowering (a SMOOTH's stock) count as the variable
/// whose equation made them, and the elements of an array as the array. A flow filling or
/// draining a stock is its pipe, not a link.
pub fn links(model: &Model, resolved: &ResolvedModel) -> Vec<Link> {
    let index: HashMap<&CanonicalName, usize> =
        model.variables.iter().enumerate().map(|(index, variable)| (&variable.canonical, index)).collect();
    let node_of_definition: Vec<Option<usize>> =
        resolved.definitions.iter().map(|name| index.get(&CanonicalName::new(name)).copied()).collect();
    let node_of = |index: usize| {
        let definition = resolved.variables.get(index)?.definition;
        node_of_definition.get(definition).copied().flatten()
    };
    let graph_owner: HashMap<u32, usize> = resolved
        .variables
        .iter()
        .enumerate()
        .filter_map(|(index, variable)| match variable.kind {
            ResolvedKind::GraphicalFunction(graph) => Some((graph.0, index)),
            _ => None,
        })
        .collect();
    let mut found: BTreeMap<(usize, usize), Option<Polarity>> = BTreeMap::new();
    for (index, variable) in resolved.variables.iter().enumerate() {
        let Some(to) = node_of(index) else { continue };
        let equation = match &variable.kind {
            ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => equation,
            ResolvedKind::Stock { .. }
            | ResolvedKind::Constant(_)
            | ResolvedKind::GraphicalFunction(_)
            | ResolvedKind::Undefined => continue,
        };
        let mut sources = Vec::new();
        equation.walk(&mut |node| match node {
            Expr::Lookup(graph, _) => sources.extend(graph_owner.get(&graph.0).map(|&owner| VarId::from_index(owner))),
            node => sources.extend(read_by(resolved, node)),
        });
        for source in sources {
            if let Some(from) = node_of(source.index())
                && from != to
            {
                let polarity = match link_polarity(resolved, source, VarId::from_index(index)) {
                    Polarity::Unknown => None,
                    known => Some(known),
                };
                // Links drawn as one take a sign only when all of them have it.
                found
                    .entry((from, to))
                    .and_modify(|sign| *sign = sign.filter(|&sign| Some(sign) == polarity))
                    .or_insert(polarity);
            }
        }
    }
    found.into_iter().map(|((from, to), polarity)| Link { from, to, polarity }).collect()
}

/// The diagram a loaded model's file saves, if it saves one: XMILE `<views>` or a Vensim sketch
/// (fulcrum's TOML format saves none).
pub fn saved_layout(loaded: &LoadedModel) -> Option<Layout> {
    match Format::of(&loaded.path)? {
        Format::Native => None,
        Format::Xmile => fulcrum_xmile::read_layout(&loaded.source),
        Format::Vensim => fulcrum_vensim::read_sketch(&loaded.source, &loaded.model),
    }
    .filter(|layout| !layout.is_empty())
}

type Point = (f64, f64);

/// A flow's stocks: the one it drains and the one it fills (`None` for a variable that is no
/// flow).
type FlowEnds = Option<(Option<usize>, Option<usize>)>;

/// Arrows between occurrences (start, end), by the link's (cause, effect).
type Arrows = HashMap<(usize, usize), Vec<(Point, Point)>>;

/// Font size of stock names, in pixels.
const STOCK_TEXT_PX: f64 = 16.0;
/// Font size of every other name.
const TEXT_PX: f64 = 15.0;
/// Average glyph width as a share of the font size, for sizing boxes and spacing labels.
const GLYPH_EM: f64 = 0.55;
/// The longest line of a label, in characters, before it wraps.
const LINE_CHARS: usize = 16;
const STOCK_MIN_WIDTH: f64 = 120.0;
const STOCK_MIN_HEIGHT: f64 = 56.0;
/// Width of the column each cloud flow of a stock hangs in.
const CLOUD_COLUMN: f64 = 150.0;
/// Room between two stocks on the main row, beside their own widths.
const STOCK_GAP: f64 = 170.0;
/// How far apart rows of auxiliaries are.
const LAYER_GAP: f64 = 110.0;
/// The least distance between two auxiliaries of a row.
const AUX_GAP: f64 = 170.0;
const AUX_RADIUS: f64 = 9.0;
const VALVE_RADIUS: f64 = 8.0;
const MARGIN: f64 = 40.0;
/// How far up and to the right the copy behind an arrayed variable's shape sits: a stack of
/// shapes, one per element, as Stella and Vensim draw arrays.
const STACK_OFFSET: f64 = 4.0;
const LINK_COLOUR: &str = "#5577aa";
/// A highlighted loop's links, pipes and outlines.
pub const LOOP_COLOUR: &str = "#d9480f";
const PIPE_COLOUR: &str = "#3c3c3c";
const STOCK_FILL: &str = "#eef3fb";
const STOCK_STROKE: &str = "#2f4f7f";
const TEXT_COLOUR: &str = "#1a1a1a";

/// Where everything goes.
struct Placed {
    centre: Vec<Point>,
    /// Each flow's pipe, source end first; empty for other variables.
    pipes: Vec<Vec<Point>>,
    /// Where each variable is drawn again, as its name only.
    shadows: Vec<Vec<Point>>,
    /// Where the file's diagram starts and ends each link it draws, by (cause, effect); `None`
    /// draws every link from the occurrence of its cause nearest its effect.
    connectors: Option<Arrows>,
}

/// The model's stock-and-flow diagram as an SVG document, at the file's saved positions when
/// `layout` is given (variables it does not place are drawn below them), else laid out
/// automatically.
pub fn diagram(model: &Model, resolved: &ResolvedModel, layout: Option<&Layout>) -> String {
    diagram_with_loop(model, resolved, layout, &[])
}

/// The diagram with one feedback loop drawn in [`LOOP_COLOUR`]: `on_loop` names its variables in
/// the direction of influence (as `fulcrum_loops::ScoredLoop::variables`, array elements by
/// element), and the links and pipes between consecutive ones, the last to the first, are drawn
/// bold with the variables' outlines.
pub fn diagram_with_loop(
    model: &Model,
    resolved: &ResolvedModel,
    layout: Option<&Layout>,
    on_loop: &[String],
) -> String {
    let shapes = shapes(model);
    let links = links(model, resolved);
    let on_loop = LoopPath::new(model, on_loop);
    let ends = flow_ends(model);
    let labels: Vec<Vec<String>> = model.variables.iter().map(|variable| wrap(&variable.name)).collect();
    let placed = match layout {
        Some(layout) => place_as_saved(model, layout, &ends, &labels),
        None => automatic_layout(&shapes, &links, &ends, &labels),
    };
    draw(model, &shapes, &links, &ends, &labels, &placed, &on_loop)
}

/// The variables of a highlighted loop and its steps, by index into the model's variables.
#[derive(Default)]
struct LoopPath {
    variables: BTreeSet<usize>,
    steps: BTreeSet<(usize, usize)>,
}

impl LoopPath {
    fn new(model: &Model, names: &[String]) -> LoopPath {
        // An element (`Population[young]`) is drawn as its array.
        let indexes: Vec<usize> = names
            .iter()
            .filter_map(|name| {
                let canonical = CanonicalName::new(name.split('[').next().unwrap_or(name));
                model.variables.iter().position(|variable| variable.canonical == canonical)
            })
            .collect();
        let mut path = LoopPath::default();
        for (position, &from) in indexes.iter().enumerate() {
            path.variables.insert(from);
            let to = indexes[(position + 1) % indexes.len()];
            if from != to {
                path.steps.insert((from, to));
            }
        }
        path
    }

    /// The stroke colour of a shape: the loop's, or its own.
    fn colour(&self, index: usize, own: &'static str) -> &'static str {
        if self.variables.contains(&index) { LOOP_COLOUR } else { own }
    }
}

/// For each flow, the stocks it drains and fills, if any (`None` for other variables).
fn flow_ends(model: &Model) -> Vec<FlowEnds> {
    let mut ends: Vec<FlowEnds> = model
        .variables
        .iter()
        .map(|variable| matches!(variable.kind, VariableKind::Flow { .. }).then_some((None, None)))
        .collect();
    let index: HashMap<&CanonicalName, usize> =
        model.variables.iter().enumerate().map(|(index, variable)| (&variable.canonical, index)).collect();
    for (stock, variable) in model.variables.iter().enumerate() {
        let VariableKind::Stock { inflows, outflows, .. } = &variable.kind else { continue };
        for link in outflows {
            if let Some(Some((source, _))) = index.get(&link.canonical).and_then(|&flow| ends.get_mut(flow)) {
                source.get_or_insert(stock);
            }
        }
        for link in inflows {
            if let Some(Some((_, destination))) = index.get(&link.canonical).and_then(|&flow| ends.get_mut(flow)) {
                destination.get_or_insert(stock);
            }
        }
    }
    ends
}

/// A label's lines: words joined until a line would pass [`LINE_CHARS`].
fn wrap(name: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in name.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= LINE_CHARS => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    if lines.is_empty() {
        lines.push(name.to_owned());
    }
    lines
}

fn text_width(lines: &[String], px: f64) -> f64 {
    lines.iter().map(|line| line.chars().count()).max().unwrap_or(0) as f64 * px * GLYPH_EM
}

/// A stock box's half width and half height.
fn stock_half_size(lines: &[String]) -> Point {
    let width = (text_width(lines, STOCK_TEXT_PX) + 20.0).max(STOCK_MIN_WIDTH);
    let height = (lines.len() as f64 * STOCK_TEXT_PX * 1.2 + 16.0).max(STOCK_MIN_HEIGHT);
    (width / 2.0, height / 2.0)
}

fn automatic_layout(shapes: &[Shape], links: &[Link], ends: &[FlowEnds], labels: &[Vec<String>]) -> Placed {
    let count = shapes.len();
    let mut centre: Vec<Option<Point>> = vec![None; count];
    let mut pipes: Vec<Vec<Point>> = vec![Vec::new(); count];

    // Stocks on the main row, each chain of stocks joined by flows together, in the direction
    // the flows run: a chain starts at a stock no other stock fills (the first in file order).
    let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut upstream: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut cloud_flows: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (flow, end) in ends.iter().enumerate() {
        match end {
            Some((Some(source), Some(destination))) => {
                downstream[*source].push(*destination);
                upstream[*destination].push(*source);
            }
            Some((Some(stock), None) | (None, Some(stock))) => cloud_flows[*stock].push(flow),
            _ => {}
        }
    }
    let stocks = (0..count).filter(|&index| shapes[index] == Shape::Stock);
    let starts: Vec<usize> =
        stocks.clone().filter(|&stock| upstream[stock].iter().all(|&other| other == stock)).chain(stocks).collect();
    let mut row: Vec<usize> = Vec::new();
    let mut seen = vec![false; count];
    for start in starts {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(stock) = queue.pop_front() {
            row.push(stock);
            // What it fills first, then what fills it.
            for side in [&downstream[stock], &upstream[stock]] {
                let mut next: Vec<usize> = side.iter().copied().filter(|&other| !seen[other]).collect();
                next.sort_unstable();
                next.dedup();
                for other in next {
                    seen[other] = true;
                    queue.push_back(other);
                }
            }
        }
    }
    let mut column_of = vec![usize::MAX; count];
    let mut x = 0.0;
    for (column, &stock) in row.iter().enumerate() {
        let (half_width, _) = stock_half_size(&labels[stock]);
        let width = (2.0 * half_width).max(cloud_flows[stock].len() as f64 * CLOUD_COLUMN);
        centre[stock] = Some((x + width / 2.0, 0.0));
        column_of[stock] = column;
        x += width + STOCK_GAP;
    }
    let row_end = x;

    // Flows: between their stocks, hanging below a stock to a cloud, or on their own at the end.
    let mut detours = 0.0;
    let mut loose = 0.0;
    for (flow, end) in ends.iter().enumerate() {
        let Some(end) = end else { continue };
        let position = |stock: usize| centre[stock].unwrap_or_default();
        match *end {
            (Some(source), Some(destination)) => {
                let (from, to) = (position(source), position(destination));
                if column_of[source].abs_diff(column_of[destination]) <= 1 {
                    let valve = ((from.0 + to.0) / 2.0, 0.0);
                    centre[flow] = Some(valve);
                    pipes[flow] = vec![from, valve, to];
                } else {
                    detours += 1.0;
                    let depth = 2.0 * LAYER_GAP + 60.0 * detours;
                    let valve = ((from.0 + to.0) / 2.0, depth);
                    centre[flow] = Some(valve);
                    pipes[flow] = vec![from, (from.0, depth), valve, (to.0, depth), to];
                }
            }
            (Some(stock), None) | (None, Some(stock)) => {
                let (stock_x, _) = position(stock);
                let slots = &cloud_flows[stock];
                let slot = slots.iter().position(|&other| other == flow).unwrap_or(0) as f64;
                let column_x = stock_x + (slot - (slots.len() as f64 - 1.0) / 2.0) * CLOUD_COLUMN;
                let valve = (column_x, LAYER_GAP);
                let cloud = (column_x, 2.0 * LAYER_GAP - 20.0);
                let at_stock = (column_x, 0.0);
                centre[flow] = Some(valve);
                pipes[flow] = if end.0.is_some() { vec![at_stock, valve, cloud] } else { vec![cloud, valve, at_stock] };
            }
            (None, None) => {
                let valve = (row_end + loose + 80.0, 0.0);
                loose += 2.0 * CLOUD_COLUMN;
                centre[flow] = Some(valve);
                pipes[flow] = vec![(valve.0 - 70.0, 0.0), valve, (valve.0 + 70.0, 0.0)];
            }
        }
    }

    // Auxiliaries: in rows above, one row further up for each step away from a stock or flow,
    // each as near as the row allows to the mean position of what it feeds.
    let mut level: Vec<Option<usize>> = (0..count).map(|index| centre[index].map(|_| 0)).collect();
    let mut feeds: Vec<Vec<usize>> = vec![Vec::new(); count];
    for link in links {
        feeds[link.from].push(link.to);
    }
    for _ in 0..count {
        let mut changed = false;
        for aux in (0..count).filter(|&index| shapes[index] == Shape::Auxiliary) {
            let best = feeds[aux].iter().filter_map(|&target| level[target]).min().map(|lowest| lowest + 1);
            if best.is_some() && best != level[aux] && level[aux].is_none_or(|current| best < Some(current)) {
                level[aux] = best;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let deepest = level.iter().flatten().copied().max().unwrap_or(0);
    for depth in 1..=deepest.max(1) {
        let mut wanted: Vec<(f64, usize)> = (0..count)
            .filter(|&index| shapes[index] == Shape::Auxiliary && level[index].unwrap_or(1) == depth)
            .map(|aux| {
                let targets: Vec<f64> = feeds[aux]
                    .iter()
                    .filter(|&&target| level[target].is_some_and(|target_level| target_level < depth))
                    .filter_map(|&target| centre[target].map(|point| point.0))
                    .collect();
                let x = if targets.is_empty() { f64::MAX } else { targets.iter().sum::<f64>() / targets.len() as f64 };
                (x, aux)
            })
            .collect();
        wanted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut previous: Option<(f64, usize)> = None;
        for (x, aux) in wanted {
            let x = if x == f64::MAX { previous.map_or(0.0, |(last, _)| last + AUX_GAP) } else { x };
            let x = match previous {
                Some((last, last_aux)) => {
                    let room = AUX_GAP
                        .max((text_width(&labels[last_aux], TEXT_PX) + text_width(&labels[aux], TEXT_PX)) / 2.0 + 20.0);
                    x.max(last + room)
                }
                None => x,
            };
            centre[aux] = Some((x, -(depth as f64) * LAYER_GAP));
            previous = Some((x, aux));
        }
    }
    let shadows = vec![Vec::new(); count];
    Placed { centre: centre.into_iter().map(Option::unwrap_or_default).collect(), pipes, shadows, connectors: None }
}

/// The file's positions; what it does not place goes in rows below, in the model's order.
fn place_as_saved(model: &Model, layout: &Layout, ends: &[FlowEnds], labels: &[Vec<String>]) -> Placed {
    let saved: Vec<Option<&fulcrum_model::layout::Place>> =
        model.variables.iter().map(|variable| layout.place(&variable.canonical)).collect();
    let placed = saved.iter().flatten();
    let left = placed.clone().map(|place| place.x).fold(f64::MAX, f64::min);
    let right = placed.clone().map(|place| place.x).fold(f64::MIN, f64::max);
    let bottom = placed.map(|place| place.y).fold(f64::MIN, f64::max);
    let (left, right, bottom) = if left > right { (0.0, 0.0, 0.0) } else { (left, right, bottom) };
    let row_width = (right - left).max(6.0 * AUX_GAP);
    let mut centre = Vec::with_capacity(saved.len());
    let mut shadows = Vec::with_capacity(saved.len());
    let mut next = (left, bottom + 2.0 * LAYER_GAP);
    for (index, place) in saved.iter().enumerate() {
        match place {
            Some(place) => {
                centre.push((place.x, place.y));
                shadows.push(place.shadows.clone());
            }
            None => {
                let width = text_width(&labels[index], STOCK_TEXT_PX).max(AUX_GAP) + 40.0;
                if next.0 + width > left + row_width && next.0 > left {
                    next = (left, next.1 + LAYER_GAP);
                }
                centre.push((next.0 + width / 2.0, next.1));
                shadows.push(Vec::new());
                next.0 += width;
            }
        }
    }
    // A flow takes its saved pipe, else a straight one between its ends' places.
    let pipes = (0..saved.len())
        .map(|index| {
            let Some((source, destination)) = ends[index] else { return Vec::new() };
            if let Some(place) = saved[index]
                && place.pipe.len() >= 2
            {
                return place.pipe.clone();
            }
            let valve = centre[index];
            let from = source.map_or((valve.0 - 70.0, valve.1), |stock| centre[stock]);
            let to = destination.map_or((valve.0 + 70.0, valve.1), |stock| centre[stock]);
            vec![from, valve, to]
        })
        .collect();
    let index: HashMap<&CanonicalName, usize> =
        model.variables.iter().enumerate().map(|(index, variable)| (&variable.canonical, index)).collect();
    let connectors = (!layout.connectors.is_empty()).then(|| {
        let mut starts: Arrows = HashMap::new();
        for connector in &layout.connectors {
            if let (Some(&from), Some(&to)) = (index.get(&connector.from), index.get(&connector.to)) {
                starts.entry((from, to)).or_default().push((connector.start, connector.end));
            }
        }
        starts
    });
    Placed { centre, pipes, shadows, connectors }
}

/// A number for SVG: rounded to a tenth, no trailing `.0`.
fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == rounded.trunc() { format!("{}", rounded as i64) } else { format!("{rounded:.1}") }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Where a line from the centre of a variable towards `toward` leaves its shape.
fn boundary(shape: Shape, lines: &[String], centre: Point, toward: Point) -> Point {
    let (dx, dy) = (toward.0 - centre.0, toward.1 - centre.1);
    let length = dx.hypot(dy);
    if length < 1e-9 {
        return centre;
    }
    let reach = match shape {
        Shape::Stock => {
            let (half_width, half_height) = stock_half_size(lines);
            let along_x = if dx.abs() > 1e-9 { half_width / dx.abs() } else { f64::MAX };
            let along_y = if dy.abs() > 1e-9 { half_height / dy.abs() } else { f64::MAX };
            along_x.min(along_y) * length + 3.0
        }
        Shape::Flow => VALVE_RADIUS + 3.0,
        Shape::Auxiliary => AUX_RADIUS + 3.0,
    };
    let reach = reach.min(length / 2.0);
    (centre.0 + dx / length * reach, centre.1 + dy / length * reach)
}

fn draw(
    model: &Model,
    shapes: &[Shape],
    links: &[Link],
    ends: &[FlowEnds],
    labels: &[Vec<String>],
    placed: &Placed,
    on_loop: &LoopPath,
) -> String {
    // The drawing's extent, labels included, to size the page.
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    let mut extend = |x: f64, y: f64| {
        min_x = min_x.min(x);
        min_y = min_y.min(y);
        max_x = max_x.max(x);
        max_y = max_y.max(y);
    };
    for (index, &(x, y)) in placed.centre.iter().enumerate() {
        let (half_width, half_height) = match shapes[index] {
            Shape::Stock => stock_half_size(&labels[index]),
            _ => (text_width(&labels[index], TEXT_PX) / 2.0 + 4.0, 0.0),
        };
        let below = match shapes[index] {
            Shape::Stock => half_height,
            _ => 14.0 + labels[index].len() as f64 * TEXT_PX * 1.2,
        };
        extend(x - half_width, y - half_height.max(AUX_RADIUS));
        extend(x + half_width, y + below);
        if !model.variables[index].dimensions.is_empty() {
            extend(x + half_width + STACK_OFFSET, y - half_height.max(AUX_RADIUS) - STACK_OFFSET);
        }
        for &(sx, sy) in &placed.shadows[index] {
            extend(sx - text_width(&labels[index], TEXT_PX) / 2.0 - 4.0, sy - TEXT_PX);
            extend(
                sx + text_width(&labels[index], TEXT_PX) / 2.0 + 4.0,
                sy + labels[index].len() as f64 * TEXT_PX * 1.2,
            );
        }
        for &(px, py) in &placed.pipes[index] {
            extend(px - 16.0, py - 12.0);
            extend(px + 16.0, py + 12.0);
        }
    }
    // A curve stays between its ends and its control point; its middle is as far as it bulges.
    let mut curves: Vec<(Point, Point)> = Vec::new();
    for link in links {
        match placed.connectors.as_ref().map(|arrows| arrows.get(&(link.from, link.to))) {
            Some(arrows) => curves.extend(arrows.into_iter().flatten().copied()),
            None => curves.push((placed.centre[link.from], placed.centre[link.to])),
        }
    }
    for (from, to) in curves {
        let control = bend(from, to);
        let middle = (0.25 * from.0 + 0.5 * control.0 + 0.25 * to.0, 0.25 * from.1 + 0.5 * control.1 + 0.25 * to.1);
        extend(middle.0 - 4.0, middle.1 - 4.0);
        extend(middle.0 + 4.0, middle.1 + 4.0);
    }
    if min_x > max_x {
        (min_x, min_y, max_x, max_y) = (0.0, 0.0, 200.0, 60.0);
    }
    let (dx, dy) = (MARGIN - min_x, MARGIN - min_y);
    let at = |point: Point| (point.0 + dx, point.1 + dy);
    let width = max_x - min_x + 2.0 * MARGIN;
    let height = max_y - min_y + 2.0 * MARGIN;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#,
        w = number(width),
        h = number(height)
    );
    let title = model.name.as_deref().unwrap_or("model");
    let _ = writeln!(svg, "<title>{}: stock-and-flow diagram</title>", escape(title));
    let _ = writeln!(
        svg,
        concat!(
            "<defs>",
            r#"<marker id="link-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{link}"/></marker>"#,
            r#"<marker id="pipe-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" markerHeight="4" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{pipe}"/></marker>"#,
            "{loop_head}</defs>"
        ),
        link = LINK_COLOUR,
        pipe = PIPE_COLOUR,
        loop_head = if on_loop.steps.is_empty() {
            String::new()
        } else {
            format!(
                r#"<marker id="loop-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{LOOP_COLOUR}"/></marker>"#
            )
        }
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);

    // Causal links first, under everything else.
    let _ = writeln!(svg, r#"<g fill="none" stroke="{LINK_COLOUR}" stroke-width="1.5">"#);
    for link in links {
        let saved_starts = placed.connectors.as_ref().map(|starts| starts.get(&(link.from, link.to)));
        let arrows: Vec<(Point, Point)> = match saved_starts {
            // The file's diagram leaves this link out.
            Some(None) => continue,
            Some(Some(arrows)) => arrows.clone(),
            None => {
                let to = placed.centre[link.to];
                vec![(nearest_occurrence(placed, link.from, to), to)]
            }
        };
        let highlighted = on_loop.steps.contains(&(link.from, link.to));
        for (from, to) in arrows {
            draw_link(&mut svg, shapes, labels, placed, link, (from, to), (dx, dy), highlighted);
        }
    }

    let _ = writeln!(svg, "</g>");

    // Pipes, with a cloud at an end no stock is at.
    let _ = writeln!(svg, r#"<g fill="none" stroke="{PIPE_COLOUR}" stroke-width="4" stroke-linejoin="round">"#);
    let mut clouds = Vec::new();
    for (index, pipe) in placed.pipes.iter().enumerate() {
        let (Some(first), Some(last)) = (pipe.first(), pipe.last()) else { continue };
        let Some((source, destination)) = ends[index] else { continue };
        let mut points: Vec<Point> = pipe.clone();
        let trim = |stock: Option<usize>, end: Point, next: Point| match stock {
            Some(stock) => boundary(Shape::Stock, &labels[stock], end, next),
            None => boundary(Shape::Auxiliary, &[], end, next),
        };
        if let (Some(second), Some(before_last)) = (pipe.get(1), pipe.get(pipe.len().saturating_sub(2))) {
            if source.is_some() {
                points[0] = trim(source, *first, *second);
            }
            let end = points.len() - 1;
            points[end] = trim(destination, *last, *before_last);
        }
        if source.is_none() {
            clouds.push(*first);
        }
        if destination.is_none() {
            clouds.push(*last);
        }
        let path: Vec<String> = points
            .iter()
            .map(|&point| {
                let (x, y) = at(point);
                format!("{} {}", number(x), number(y))
            })
            .collect();
        // A flow on the loop fills or drains the stock after it on the loop.
        let on = [source, destination].into_iter().flatten().any(|stock| on_loop.steps.contains(&(index, stock)));
        let stroke = if on { format!(r#" stroke="{LOOP_COLOUR}""#) } else { String::new() };
        let _ = writeln!(svg, r#"<path d="M{}"{stroke} marker-end="url(#pipe-head)"/>"#, path.join(" L"));
    }
    let _ = writeln!(svg, "</g>");
    for cloud in clouds {
        let (x, y) = at(cloud);
        let _ = writeln!(
            svg,
            r#"<path d="M{} {} a6 6 0 0 1 3 -10 a8 8 0 0 1 14 -3 a7 7 0 0 1 11 5 a6 6 0 0 1 -3 11 z" fill="white" stroke="{PIPE_COLOUR}" stroke-width="1.5"/>"#,
            number(x - 12.0),
            number(y + 6.0)
        );
    }

    // Stocks, valves and auxiliaries, each with its name.
    for (index, variable) in model.variables.iter().enumerate() {
        let (x, y) = at(placed.centre[index]);
        let lines = &labels[index];
        let stroke = on_loop.colour(index, own_stroke(shapes[index]));
        // An arrayed variable is a stack: the same outline behind its own, offset, untitled so
        // that the variable's group holds only its own shape.
        if !variable.dimensions.is_empty() {
            let (bx, by) = (x + STACK_OFFSET, y - STACK_OFFSET);
            let _ = writeln!(svg, r#"<g class="stack">"#);
            outline(&mut svg, shapes[index], (bx, by), lines, stroke);
            let _ = writeln!(svg, "</g>");
        }
        let _ = writeln!(svg, "<g><title>{}</title>", escape(&variable.name));
        match shapes[index] {
            Shape::Stock => {
                outline(&mut svg, Shape::Stock, (x, y), lines, stroke);
                let first = y - (lines.len() as f64 - 1.0) * STOCK_TEXT_PX * 1.2 / 2.0 + STOCK_TEXT_PX * 0.35;
                write_label(&mut svg, lines, x, first, STOCK_TEXT_PX);
            }
            Shape::Flow => {
                outline(&mut svg, Shape::Flow, (x, y), lines, stroke);
                let _ = writeln!(
                    svg,
                    r#"<path d="M{} {} L{} {}" stroke="{PIPE_COLOUR}" stroke-width="2"/>"#,
                    number(x),
                    number(y - VALVE_RADIUS),
                    number(x),
                    number(y + VALVE_RADIUS)
                );
                // Beside a valve on an upright pipe, under one on a level pipe.
                let upright = placed.pipes[index].windows(2).any(|pair| {
                    let (a, b) = (pair[0], pair[1]);
                    (b.0 - a.0).abs() < (b.1 - a.1).abs()
                        && (a.0 - placed.centre[index].0).abs() < 1.0
                        && (b.0 - placed.centre[index].0).abs() < 1.0
                });
                if upright {
                    let first = y - (lines.len() as f64 - 1.0) * TEXT_PX * 1.2 / 2.0 + TEXT_PX * 0.35;
                    let half = text_width(lines, TEXT_PX) / 2.0;
                    write_label(&mut svg, lines, x + VALVE_RADIUS + 6.0 + half, first, TEXT_PX);
                } else {
                    write_label(&mut svg, lines, x, y + VALVE_RADIUS + TEXT_PX + 2.0, TEXT_PX);
                }
            }
            Shape::Auxiliary => {
                outline(&mut svg, Shape::Auxiliary, (x, y), lines, stroke);
                write_label(&mut svg, lines, x, y + AUX_RADIUS + TEXT_PX + 2.0, TEXT_PX);
            }
        }
        let _ = writeln!(svg, "</g>");
        for &shadow in &placed.shadows[index] {
            let (x, y) = at(shadow);
            let _ = writeln!(svg, "<g opacity=\"0.6\"><title>{} (shadow)</title>", escape(&variable.name));
            write_label(&mut svg, lines, x, y + TEXT_PX * 0.35, TEXT_PX);
            let _ = writeln!(svg, "</g>");
        }
    }
    let _ = writeln!(svg, "</svg>");
    svg
}

/// The control point of a link's curve: it bends to the left of the straight line, by a fifth
/// of its length.
fn bend(from: Point, to: Point) -> Point {
    let (mx, my) = ((from.0 + to.0) / 2.0, (from.1 + to.1) / 2.0);
    let (vx, vy) = (to.0 - from.0, to.1 - from.1);
    (mx + vy * 0.2, my - vx * 0.2)
}

/// The occurrence of variable `index` nearest `target`: its place, or a shadow drawn nearer.
fn nearest_occurrence(placed: &Placed, index: usize, target: Point) -> Point {
    let main = placed.centre[index];
    let distance = |point: &Point| (point.0 - target.0).hypot(point.1 - target.1);
    placed.shadows[index]
        .iter()
        .copied()
        .filter(|shadow| distance(shadow) < distance(&main))
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(main)
}

/// One causal link as a curved arrow between occurrences of the cause and the effect (their
/// places or shadows), with its sign at the head when known; bold in [`LOOP_COLOUR`] when it is a
/// step of the highlighted loop.
#[allow(clippy::too_many_arguments)]
fn draw_link(
    svg: &mut String,
    shapes: &[Shape],
    labels: &[Vec<String>],
    placed: &Placed,
    link: &Link,
    (from, to): (Point, Point),
    offset: Point,
    on_loop: bool,
) {
    let at = |point: Point| (point.0 + offset.0, point.1 + offset.1);
    // A shadow is a name only: the arrow meets it as it would a small circle.
    let from_shape = if from == placed.centre[link.from] { shapes[link.from] } else { Shape::Auxiliary };
    let to_shape = if to == placed.centre[link.to] { shapes[link.to] } else { Shape::Auxiliary };
    let control = bend(from, to);
    let start = at(boundary(from_shape, &labels[link.from], from, control));
    let end = at(boundary(to_shape, &labels[link.to], to, control));
    let control = at(control);
    let style = if on_loop {
        format!(r#" stroke="{LOOP_COLOUR}" stroke-width="3" marker-end="url(#loop-head)""#)
    } else {
        r#" marker-end="url(#link-head)""#.to_owned()
    };
    let _ = writeln!(
        svg,
        r#"<path d="M{} {} Q{} {} {} {}"{style}/>"#,
        number(start.0),
        number(start.1),
        number(control.0),
        number(control.1),
        number(end.0),
        number(end.1)
    );
    if let Some(polarity) = link.polarity {
        let sign = match polarity {
            Polarity::Positive => "+",
            Polarity::Negative => "\u{2212}",
            Polarity::Unknown => "",
        };
        let (sx, sy) = (end.0 * 0.8 + control.0 * 0.2, end.1 * 0.8 + control.1 * 0.2 - 6.0);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="{TEXT_PX}" fill="{LINK_COLOUR}" stroke="none" text-anchor="middle">{sign}</text>"#,
            number(sx),
            number(sy)
        );
    }
}

/// A white circle with a 2 px outline: a valve or an auxiliary.
/// The colour a shape's outline has off a highlighted loop.
fn own_stroke(shape: Shape) -> &'static str {
    match shape {
        Shape::Stock => STOCK_STROKE,
        Shape::Flow => PIPE_COLOUR,
        Shape::Auxiliary => LINK_COLOUR,
    }
}

/// A variable's outline at `centre`: a stock's box (sized by its label), a flow's valve or an
/// auxiliary's circle.
fn outline(svg: &mut String, shape: Shape, (x, y): Point, lines: &[String], stroke: &str) {
    match shape {
        Shape::Stock => {
            let (half_width, half_height) = stock_half_size(lines);
            let _ = writeln!(
                svg,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{STOCK_FILL}" stroke="{stroke}" stroke-width="2"/>"#,
                number(x - half_width),
                number(y - half_height),
                number(2.0 * half_width),
                number(2.0 * half_height),
            );
        }
        Shape::Flow => circle(svg, (x, y), VALVE_RADIUS, stroke),
        Shape::Auxiliary => circle(svg, (x, y), AUX_RADIUS, stroke),
    }
}

fn circle(svg: &mut String, (x, y): Point, radius: f64, stroke: &str) {
    let _ = writeln!(
        svg,
        r#"<circle cx="{}" cy="{}" r="{radius}" fill="white" stroke="{stroke}" stroke-width="2"/>"#,
        number(x),
        number(y)
    );
}

/// A centred label, one `<tspan>` per line, the first line's baseline at `y`.
fn write_label(svg: &mut String, lines: &[String], x: f64, y: f64, px: f64) {
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" font-size="{px}" fill="{TEXT_COLOUR}" text-anchor="middle">"#,
        number(x),
        number(y)
    );
    for (row, line) in lines.iter().enumerate() {
        let step = if row == 0 { 0.0 } else { px * 1.2 };
        let _ = write!(svg, r#"<tspan x="{}" dy="{}">{}</tspan>"#, number(x), number(step), escape(line));
    }
    let _ = writeln!(svg, "</text>");
}
