//! Where a model file's own diagram puts its variables: XMILE's `<views>` or the sketch
//! section of a Vensim file. Kept beside the model rather than in it, so the IR stays about
//! equations; only the diagram drawing reads it.

use crate::name::CanonicalName;

/// The saved positions of a model's diagram, in the file's own units (pixels at 100% zoom),
/// y growing downwards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// One place per variable the diagram shows, at its first occurrence; the others (a
    /// Vensim shadow variable) are its `shadows`.
    pub places: Vec<Place>,
    /// The causal links the diagram draws. Files often leave some out (a link to a variable
    /// on another page, say); when this is empty, every link is drawn.
    pub connectors: Vec<Connector>,
}

/// A causal link the file's diagram draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Connector {
    /// The cause.
    pub from: CanonicalName,
    /// The effect.
    pub to: CanonicalName,
    /// Where the arrow starts: the cause's place or one of its shadows.
    pub start: (f64, f64),
    /// Where it ends: the effect's place or one of its shadows.
    pub end: (f64, f64),
}

/// Where one variable is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// The variable.
    pub name: CanonicalName,
    /// Centre, horizontally.
    pub x: f64,
    /// Centre, vertically.
    pub y: f64,
    /// For a flow, its pipe from the source end to the destination end, through the valve;
    /// empty when the file saves none.
    pub pipe: Vec<(f64, f64)>,
    /// Centres of the variable's other occurrences, drawn as its name only (Vensim's shadow
    /// variables), where links from it to nearby variables start.
    pub shadows: Vec<(f64, f64)>,
}

impl Layout {
    /// The place of the variable with this canonical name, if the file saves one.
    pub fn place(&self, name: &CanonicalName) -> Option<&Place> {
        self.places.iter().find(|place| &place.name == name)
    }

    /// Adds a place, or a shadow of the variable's place when it already has one.
    pub fn add(&mut self, place: Place) {
        match self.places.iter_mut().find(|placed| placed.name == place.name) {
            Some(placed) => placed.shadows.push((place.x, place.y)),
            None => self.places.push(place),
        }
    }

    /// Whether nothing is placed.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }
}
