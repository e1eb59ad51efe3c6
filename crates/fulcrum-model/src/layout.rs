//! Where a model file's own diagram puts its variables: XMILE's `<views>` or the sketch
//! section of a Vensim file. Kept beside the model rather than in it, so the IR stays about
//! equations; only the diagram drawing reads it.

use crate::name::CanonicalName;

/// The saved positions of a model's diagram, in the file's own units (pixels at 100% zoom),
/// y growing downwards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// One place per variable the diagram shows, first occurrence only (a variable drawn again
    /// as a shadow or alias keeps its first place).
    pub places: Vec<Place>,
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
}

impl Layout {
    /// The place of the variable with this canonical name, if the file saves one.
    pub fn place(&self, name: &CanonicalName) -> Option<&Place> {
        self.places.iter().find(|place| &place.name == name)
    }

    /// Adds a place unless the variable already has one.
    pub fn add(&mut self, place: Place) {
        if self.place(&place.name).is_none() {
            self.places.push(place);
        }
    }

    /// Whether nothing is placed.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }
}
