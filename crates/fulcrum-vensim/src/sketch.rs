//! The diagram a Vensim file saves: its sketch section, the lines between `\\\---///` and
//! `///---\\\`. Each view starts with a `*Name` line; then `10,id,name,x,y,w,h,...` places a
//! variable, `11,id,...,x,y,...` a flow's valve, `12,id,48,x,y,...` a cloud and
//! `1,id,from,to,shape,hidden,polarity,thickness,...` an arrow (thickness 22 is a flow pipe,
//! drawn from the valve to each end).

use std::collections::{BTreeMap, HashMap, HashSet};

use fulcrum_model::layout::{Connector, Layout, Place};
use fulcrum_model::{CanonicalName, Model, VariableKind};

type Point = (f64, f64);

/// Space left between one view and the next, which is drawn below it.
const VIEW_GAP: f64 = 100.0;

/// One object of a view, by its id there.
enum Object {
    Variable { name: String, x: f64, y: f64 },
    Valve { x: f64, y: f64 },
    Cloud { x: f64, y: f64 },
}

/// The saved positions of the model's variables, or `None` when the file has no sketch.
/// Vensim's views are separate pages; here each is placed below the one before, so view 1
/// keeps its own coordinates. A variable drawn in several places is placed where it is drawn as
/// itself (else where it is first drawn), and drawn as a name at the others (its shadows); a flow is placed at its valve, its pipe running from the end it drains to the end
/// it fills (a cloud where it has no stock). Lines that do not read as numbers are skipped.
pub fn read_sketch(text: &str, model: &Model) -> Option<Layout> {
    let start = text
        .match_indices("---///")
        .map(|(index, _)| index)
        .find(|&index| text.get(..index).is_some_and(|before| before.ends_with('\\')))?;
    let sketch = text.get(start..)?;
    let sketch = sketch.find("///---").and_then(|end| sketch.get(..end)).unwrap_or(sketch);
    let mut layout = Layout::default();
    let mut bottom = 0.0_f64;
    let mut offset = 0.0_f64;
    let mut view: HashMap<&str, Object> = HashMap::new();
    let mut pipes: Vec<(&str, &str, bool)> = Vec::new();
    let mut arrows: Vec<(&str, &str)> = Vec::new();
    // The flow drawn at each valve of the view.
    let mut valve_flows: HashMap<&str, String> = HashMap::new();
    let mut last_valve: Option<&str> = None;
    // Variables whose place so far is a shadow: their own occurrence, when it comes, takes over.
    let mut placed_by_shadow: HashSet<CanonicalName> = HashSet::new();
    let finish_view = |view: &mut HashMap<&str, Object>,
                       pipes: &mut Vec<(&str, &str, bool)>,
                       arrows: &mut Vec<(&str, &str)>,
                       valve_flows: &mut HashMap<&str, String>,
                       layout: &mut Layout| {
        add_pipes(view, pipes, model, layout);
        add_connectors(view, arrows, valve_flows, layout);
        view.clear();
        pipes.clear();
        arrows.clear();
        valve_flows.clear();
    };
    for line in sketch.lines() {
        if line.starts_with('*') {
            finish_view(&mut view, &mut pipes, &mut arrows, &mut valve_flows, &mut layout);
            if bottom > 0.0 {
                offset = bottom + VIEW_GAP;
            }
            last_valve = None;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let number = |index: usize| fields.get(index).and_then(|field| field.trim().parse::<f64>().ok());
        let (Some(&code), Some(&id)) = (fields.first(), fields.get(1)) else { continue };
        let position = number(3).zip(number(4)).map(|(x, y)| (x, y + offset));
        let height = number(6).unwrap_or(0.0);
        match (code, position) {
            ("10", Some((x, y))) => {
                let name = fields.get(2).map_or("", |name| name.trim()).trim_matches('"');
                let name = name.replace("\\n", " ");
                // A flow's name is written right after its valve; the flow sits at the valve.
                let at = match last_valve.and_then(|valve| Some((valve, view.get(valve)?))) {
                    Some((valve, Object::Valve { x, y })) if is_flow(model, &name) => {
                        valve_flows.insert(valve, name.clone());
                        (*x, *y)
                    }
                    _ => (x, y),
                };
                // The flags' lowest bit is clear on a shadow variable (a copy of one defined on
                // another view, `Time` always).
                let shadow =
                    fields.get(8).and_then(|bits| bits.trim().parse::<u32>().ok()).is_some_and(|bits| bits & 1 == 0);
                let canonical = CanonicalName::new(&name);
                let existing = layout.places.iter_mut().find(|place| place.name == canonical);
                match existing {
                    Some(place) if !shadow && placed_by_shadow.remove(&canonical) => {
                        place.shadows.insert(0, (place.x, place.y));
                        (place.x, place.y) = at;
                    }
                    Some(place) => place.shadows.push(at),
                    None => {
                        if shadow {
                            placed_by_shadow.insert(canonical.clone());
                        }
                        layout.places.push(Place {
                            name: canonical,
                            x: at.0,
                            y: at.1,
                            pipe: Vec::new(),
                            shadows: Vec::new(),
                        });
                    }
                }
                view.insert(id, Object::Variable { name, x: at.0, y: at.1 });
                bottom = bottom.max(y + height);
                last_valve = None;
            }
            ("11", Some((x, y))) => {
                view.insert(id, Object::Valve { x, y });
                last_valve = Some(id);
                bottom = bottom.max(y + height);
            }
            ("12", Some((x, y))) if fields.get(2).map(|field| field.trim()) == Some("48") => {
                view.insert(id, Object::Cloud { x, y });
                bottom = bottom.max(y + height);
                last_valve = None;
            }
            ("1", _) if fields.get(7).map(|field| field.trim()) == Some("22") => {
                if let (Some(&from), Some(&to)) = (fields.get(2), fields.get(3)) {
                    // An arrowhead (shape other than 100) marks the end the flow fills.
                    pipes.push((from, to, fields.get(4).map(|field| field.trim()) != Some("100")));
                }
            }
            ("1", _) => {
                if let (Some(&from), Some(&to)) = (fields.get(2), fields.get(3)) {
                    arrows.push((from, to));
                }
            }
            _ => last_valve = None,
        }
    }
    finish_view(&mut view, &mut pipes, &mut arrows, &mut valve_flows, &mut layout);
    Some(layout)
}

/// The view's arrows between variables (or into a flow's valve) as connectors.
fn add_connectors(
    view: &HashMap<&str, Object>,
    arrows: &[(&str, &str)],
    valve_flows: &HashMap<&str, String>,
    layout: &mut Layout,
) {
    let name_of = |id: &str| match view.get(id)? {
        Object::Variable { name, x, y } => Some((CanonicalName::new(name), (*x, *y))),
        Object::Valve { x, y } => Some((CanonicalName::new(valve_flows.get(id)?), (*x, *y))),
        Object::Cloud { .. } => None,
    };
    for &(from, to) in arrows {
        if let (Some((from, start)), Some((to, end))) = (name_of(from), name_of(to)) {
            layout.connectors.push(Connector { from, to, start, end });
        }
    }
}

fn is_flow(model: &Model, name: &str) -> bool {
    model.variable(name).is_some_and(|variable| matches!(variable.kind, VariableKind::Flow { .. }))
}

/// Gives each flow of the view whose valve has pipes its pipe: source end, valve, destination.
fn add_pipes(view: &HashMap<&str, Object>, pipes: &[(&str, &str, bool)], model: &Model, layout: &mut Layout) {
    // The flow drawn at each valve.
    let mut flows: HashMap<(u64, u64), CanonicalName> = HashMap::new();
    for object in view.values() {
        if let Object::Variable { name, x, y } = object
            && is_flow(model, name)
        {
            flows.insert((x.to_bits(), y.to_bits()), CanonicalName::new(name));
        }
    }
    // By valve id, so that the same file always gives the same pipes.
    let mut ends: BTreeMap<&str, (Option<Point>, Option<Point>)> = BTreeMap::new();
    for &(valve, end, headed) in pipes {
        let Some(Object::Valve { x, y }) = view.get(valve) else { continue };
        let Some(flow) = flows.get(&(x.to_bits(), y.to_bits())) else { continue };
        let (point, fills) = match view.get(end) {
            Some(Object::Cloud { x, y }) => ((*x, *y), headed),
            Some(Object::Variable { name, x, y }) => ((*x, *y), stock_fills(model, name, flow).unwrap_or(headed)),
            _ => continue,
        };
        let entry = ends.entry(valve).or_default();
        if fills {
            entry.1 = Some(point);
        } else {
            entry.0 = Some(point);
        }
    }
    for (valve, (source, destination)) in ends {
        let (Some(Object::Valve { x, y }), Some(source), Some(destination)) = (view.get(valve), source, destination)
        else {
            continue;
        };
        let Some(flow) = flows.get(&(x.to_bits(), y.to_bits())) else { continue };
        let at_valve = |place: &&mut Place| (place.x, place.y) == (*x, *y);
        if let Some(place) =
            layout.places.iter_mut().find(|place| &place.name == flow && place.pipe.is_empty()).filter(at_valve)
        {
            place.pipe = vec![source, (*x, *y), destination];
        }
    }
}

/// Whether the stock `name` is filled by `flow` (`Some(true)`), drained by it (`Some(false)`),
/// or neither.
fn stock_fills(model: &Model, name: &str, flow: &CanonicalName) -> Option<bool> {
    let VariableKind::Stock { inflows, outflows, .. } = &model.variable(name)?.kind else { return None };
    if inflows.iter().any(|link| &link.canonical == flow) {
        Some(true)
    } else if outflows.iter().any(|link| &link.canonical == flow) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEACUP: &str = "{UTF-8}
Teacup Temperature = INTEG(-Heat Loss to Room, 180) ~ F ~ |
Heat Loss to Room = (Teacup Temperature - Room Temperature) / Characteristic Time ~ F/min ~ |
Room Temperature = 70 ~ F ~ |
Characteristic Time = 10 ~ min ~ |
INITIAL TIME = 0 ~ min ~ |
FINAL TIME = 30 ~ min ~ |
TIME STEP = 0.125 ~ min ~ |
SAVEPER = TIME STEP ~ min ~ |
\\\\\\---/// Sketch information - do not modify anything except names
V300  Do not put anything below this section - it will be ignored
*View 1
$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|72,72,100,0
10,1,Teacup Temperature,307,235,40,20,3,3,0,0,0,0,0,0
12,2,48,479,235,10,8,0,3,0,0,-1,0,0,0
1,3,5,2,4,0,0,22,0,0,0,-1--1--1,,1|(441,235)|
1,4,5,1,100,0,0,22,0,0,0,-1--1--1,,1|(374,235)|
11,5,48,408,235,6,8,34,3,0,0,1,0,0,0
10,6,Heat Loss to Room,408,251,49,8,40,3,0,0,-1,0,0,0
10,7,Room Temperature,469,304,49,8,8,3,0,0,0,0,0,0
1,10,1,6,1,0,0,0,0,64,0,-1--1--1,,1|(340,296)|
10,8,Characteristic Time,600,600,49,8,8,2,0,0,0,0,0,0
*View 2
1,9,1,5,0,0,0,0,0,64,0,-1--1--1,,1|(408,198)|
10,1,Characteristic Time,408,174,49,8,8,3,0,0,0,0,0,0
10,2,Room Temperature,1,1,49,8,8,3,0,0,0,0,0,0
11,5,48,408,235,6,8,34,3,0,0,1,0,0,0
10,6,Heat Loss to Room,408,251,49,8,40,3,0,0,-1,0,0,0
///---\\\\\\
:L<%^E!@
";

    #[test]
    fn places_variables_flows_at_their_valves_and_later_views_below() {
        let Ok((model, _)) = crate::read(TEACUP) else { unreachable!("the teacup reads") };
        let layout = read_sketch(TEACUP, &model).unwrap_or_default();
        let at = |name: &str| layout.place(&CanonicalName::new(name)).map(|place| (place.x, place.y));
        assert_eq!(at("Teacup Temperature"), Some((307.0, 235.0)));
        assert_eq!(at("Heat Loss to Room"), Some((408.0, 235.0)));
        // The first place of a variable drawn twice is its place, the other a shadow.
        assert_eq!(at("Room Temperature"), Some((469.0, 304.0)));
        let shadows = layout.place(&CanonicalName::new("Room Temperature")).map(|place| place.shadows.clone());
        assert_eq!(shadows, Some(vec![(1.0, 1.0 + 608.0 + VIEW_GAP)]));
        // View 2 starts below view 1's lowest object (a shadow at 600 + 8) and the gap; the
        // variable is placed where it is drawn as itself, not at its shadow drawn first.
        assert_eq!(at("Characteristic Time"), Some((408.0, 174.0 + 608.0 + VIEW_GAP)));
        let shadows = layout.place(&CanonicalName::new("Characteristic Time")).map(|place| place.shadows.clone());
        assert_eq!(shadows, Some(vec![(600.0, 600.0)]));
        let pipe = layout.place(&CanonicalName::new("Heat Loss to Room")).map(|place| place.pipe.clone());
        assert_eq!(pipe, Some(vec![(307.0, 235.0), (408.0, 235.0), (479.0, 235.0)]));
        let connectors: Vec<(String, String)> =
            layout.connectors.iter().map(|link| (link.from.to_string(), link.to.to_string())).collect();
        let expected = [("teacup_temperature", "heat_loss_to_room"), ("characteristic_time", "heat_loss_to_room")];
        assert_eq!(connectors, expected.map(|(from, to)| (from.to_owned(), to.to_owned())));
    }

    #[test]
    fn a_file_without_a_sketch_has_no_layout() {
        let text = "a = 1 ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n";
        let Ok((model, _)) = crate::read(text) else { unreachable!("the model reads") };
        assert_eq!(read_sketch(text, &model), None);
    }
}
