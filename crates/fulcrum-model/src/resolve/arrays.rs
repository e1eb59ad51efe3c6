//! Arrays: dimensions, the element an equation is being written for, and how an element of
//! one dimension maps to another.
//!
//! An arrayed variable is resolved as one scalar variable per element ("instance"), in
//! row-major order. Each instance's equation is lowered with *bindings*: the element each of its
//! dimensions stands at. A reference `x[Region]` takes Region's bound element; `x` alone takes
//! the bound elements of all of x's dimensions (XMILE 3.7.1). Array functions (SUM, MEAN, ...)
//! iterate their wildcards: each wildcard dimension is bound in turn to every element.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::Model;
use crate::name::CanonicalName;

/// The model's dimensions, checked and indexed.
pub(super) struct Dimensions {
    dimensions: Vec<Dim>,
    by_name: HashMap<CanonicalName, usize>,
}

struct Dim {
    canonical: CanonicalName,
    elements: Vec<String>,
    canonical_elements: Vec<CanonicalName>,
}

/// The element one dimension stands at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Binding {
    pub dimension: usize,
    pub element: usize,
}

impl Dimensions {
    pub(super) fn new(model: &Model, diagnostics: &mut Diagnostics) -> Dimensions {
        let mut dimensions = Dimensions { dimensions: Vec::new(), by_name: HashMap::new() };
        for dimension in &model.dimensions {
            if dimensions.by_name.contains_key(&dimension.canonical) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("dimension `{}` is defined more than once", dimension.name),
                    )
                    .at(dimension.span),
                );
                continue;
            }
            if dimension.elements.is_empty() {
                diagnostics.push(
                    Diagnostic::new(Code::InvalidValue, format!("dimension `{}` has no elements", dimension.name))
                        .at(dimension.span),
                );
                continue;
            }
            let canonical_elements: Vec<CanonicalName> =
                dimension.elements.iter().map(|e| CanonicalName::new(e)).collect();
            if let Some(repeated) = canonical_elements
                .iter()
                .enumerate()
                .find(|(i, e)| canonical_elements[..*i].contains(e))
                .map(|(i, _)| i)
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!(
                            "dimension `{}` lists element `{}` twice",
                            dimension.name, dimension.elements[repeated]
                        ),
                    )
                    .at(dimension.span),
                );
                continue;
            }
            dimensions.by_name.insert(dimension.canonical.clone(), dimensions.dimensions.len());
            dimensions.dimensions.push(Dim {
                canonical: dimension.canonical.clone(),
                elements: dimension.elements.clone(),
                canonical_elements,
            });
        }
        dimensions
    }

    /// The dimension with this name.
    pub(super) fn get(&self, name: &CanonicalName) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub(super) fn size(&self, dimension: usize) -> usize {
        self.dimensions[dimension].elements.len()
    }

    pub(super) fn name(&self, dimension: usize) -> &str {
        self.dimensions[dimension].canonical.as_str()
    }

    pub(super) fn element_name(&self, dimension: usize, element: usize) -> &str {
        &self.dimensions[dimension].elements[element]
    }

    pub(super) fn canonical_element(&self, dimension: usize, element: usize) -> &CanonicalName {
        &self.dimensions[dimension].canonical_elements[element]
    }

    /// The position of a named element in a dimension.
    pub(super) fn element(&self, dimension: usize, name: &CanonicalName) -> Option<usize> {
        self.dimensions[dimension].canonical_elements.iter().position(|e| e == name)
    }

    /// The element of `to` that corresponds to element `element` of `from`: the same element for
    /// the same dimension, else the element with the same name, else the one at the same
    /// position when the two have the same size (XMILE maps dimensions by position when names
    /// do not decide).
    pub(super) fn map(&self, from: usize, element: usize, to: usize) -> Option<usize> {
        if from == to {
            return Some(element);
        }
        let name = &self.dimensions[from].canonical_elements[element];
        self.element(to, name).or_else(|| (self.size(from) == self.size(to)).then_some(element))
    }

    /// Do two dimensions iterate together in an array function: the same dimension, or the
    /// same element names in the same order?
    pub(super) fn equivalent(&self, a: usize, b: usize) -> bool {
        a == b || self.dimensions[a].canonical_elements == self.dimensions[b].canonical_elements
    }

    /// Is every element of `part` an element of `whole` (Stella's subrange: a dimension whose
    /// elements all belong to another, matched by name, in any order)?
    pub(super) fn within(&self, part: usize, whole: usize) -> bool {
        self.dimensions[part].canonical_elements.iter().all(|element| self.element(whole, element).is_some())
    }

    /// The element a dimension stands at, given the bindings in force: its own binding, else a
    /// binding of an equivalent dimension.
    pub(super) fn bound(&self, dimension: usize, bindings: &[Binding]) -> Option<usize> {
        bindings
            .iter()
            .find(|b| b.dimension == dimension)
            .or_else(|| bindings.iter().find(|b| self.equivalent(b.dimension, dimension)))
            .map(|b| b.element)
    }
}

/// The dimensions of one model variable and where its instances start.
#[derive(Clone, Debug)]
pub(super) struct Shape {
    /// Dimension indices, in the variable's order.
    pub dimensions: Vec<usize>,
    /// Index of the first instance among the resolved variables.
    pub first: usize,
}

impl Shape {
    pub(super) fn count(&self, dimensions: &Dimensions) -> usize {
        self.dimensions.iter().map(|d| dimensions.size(*d)).product()
    }

    /// Row-major offset of an element.
    pub(super) fn offset(&self, dimensions: &Dimensions, elements: &[usize]) -> usize {
        self.dimensions.iter().zip(elements).fold(0, |offset, (d, e)| offset * dimensions.size(*d) + e)
    }

    /// The elements at a row-major offset.
    pub(super) fn elements(&self, dimensions: &Dimensions, mut offset: usize) -> Vec<usize> {
        let mut elements = vec![0; self.dimensions.len()];
        for (slot, d) in elements.iter_mut().zip(&self.dimensions).rev() {
            let size = dimensions.size(*d);
            *slot = offset % size;
            offset /= size;
        }
        elements
    }

    /// The bindings of the instance at `offset`.
    pub(super) fn bindings(&self, dimensions: &Dimensions, offset: usize) -> Vec<Binding> {
        self.elements(dimensions, offset)
            .into_iter()
            .zip(&self.dimensions)
            .map(|(element, dimension)| Binding { dimension: *dimension, element })
            .collect()
    }
}

/// All combinations of elements of some dimensions, first dimension slowest.
pub(super) fn combinations(sizes: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let total: usize = sizes.iter().product();
    (0..total).map(move |mut index| {
        let mut combination = vec![0; sizes.len()];
        for (slot, size) in combination.iter_mut().zip(sizes).rev() {
            *slot = index % size;
            index /= size;
        }
        combination
    })
}
